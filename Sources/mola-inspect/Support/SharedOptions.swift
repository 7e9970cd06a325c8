import Foundation
import MoLACommandLine

// Option groups several subcommands share: one spelling, one help text true for each user.

/// The library's usage error, under the name the report files (ArchitectureCard) already use.
typealias UsageError = MoLACommandLine.UsageError

/// `--json` and `--output FILE`: for commands whose result is a table or JSON (info, eval).
struct OutputOptions: ParsableArguments {
    @Flag(name: "--json", help: "write JSON (schema in README.md)") var json: Bool
    @Option(name: "--output", valueName: "FILE", help: "write to FILE (atomically) instead of standard output (- or /dev/stdout: standard output)") var output: FilePath?

    var format: OutputFormat { json ? .json : .table }
    var destination: OutputDestination { OutputDestination(path: output?.path) }
}

/// `--json`, `--csv` (excluding each other) and `--output FILE`: for reports with a CSV form.
struct ReportOutputOptions: ParsableArguments {
    @Flag(name: "--json", help: "write JSON (schema in README.md)") var json: Bool
    @Flag(name: "--csv", help: "write CSV (columns in README.md)") var csv: Bool
    @Option(name: "--output", valueName: "FILE", help: "write to FILE (atomically) instead of standard output (- or /dev/stdout: standard output)") var output: FilePath?

    func validate() throws {
        if json && csv { throw UsageError("choose one of --json and --csv") }
    }

    var format: OutputFormat { json ? .json : csv ? .csv : .table }
    var destination: OutputDestination { OutputDestination(path: output?.path) }
}

enum OutputFormat {
    case table, json, csv
}

/// `--threads N`.
struct ThreadOptions: ParsableArguments {
    @Option(name: "--threads", help: "worker threads, by default the number of cores", in: 1...1024) var threads: Int?

    /// `--threads`, else the number of cores.
    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }
}

/// `--top-k K` for commands that read a checkpoint (training declares its own, with a default).
struct TopKOptions: ParsableArguments {
    @Option(name: "--top-k", valueName: "K", help: "experts chosen per token, by default the sidecar's, else 2", in: 1...1024) var topK: Int?
}

/// The checkpoint positional of a command that reads one.
struct CheckpointArgument: ParsableArguments {
    @Argument(valueName: "checkpoint", help: "an adapter directory or file, or a trainer's pytorch_model.bin") var checkpoint: FilePath
}
