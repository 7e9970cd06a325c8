import Foundation

/// Options that several subcommands share, with one spelling and one help text each.
enum SharedOptions {
    static let json = OptionSpec(name: "--json", valueName: nil, help: "write JSON (schema in README.md)")
    static let csv = OptionSpec(name: "--csv", valueName: nil, help: "write CSV")
    static let output = OptionSpec(name: "--output", valueName: "FILE",
                                   help: "write to FILE (atomically) instead of standard output")
    static let threads = OptionSpec(name: "--threads", valueName: "N",
                                    help: "worker threads (default: the number of cores)")
    static let topK = OptionSpec(name: "--top-k", valueName: "K",
                                 help: "experts chosen per token (default: the sidecar, else 2)")

    /// The worker thread count from `--threads`, else the number of cores.
    static func threadCount(_ arguments: ParsedArguments) throws -> Int {
        try arguments.integer(threads.name, in: 1...1024) ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// The single checkpoint path a command takes.
    static func checkpointPath(_ arguments: ParsedArguments) throws -> String {
        guard let path = arguments.positionals.first else { throw UsageError("missing the checkpoint (a directory or a file)") }
        guard arguments.positionals.count == 1 else {
            throw UsageError("unexpected argument \"\(arguments.positionals[1])\"; one checkpoint at a time")
        }
        return path
    }

    /// `--json` and `--csv` exclude each other.
    static func format(_ arguments: ParsedArguments, allowsCSV: Bool) throws -> OutputFormat {
        switch (arguments.flag(json.name), arguments.flag(csv.name)) {
        case (true, true): throw UsageError("choose one of --json and --csv")
        case (true, false): return .json
        case (false, true):
            guard allowsCSV else { throw UsageError("--csv is not available for this command") }
            return .csv
        case (false, false): return .table
        }
    }
}

enum OutputFormat {
    case table, json, csv
}
