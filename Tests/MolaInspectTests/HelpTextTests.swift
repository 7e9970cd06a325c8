// Help as a user reads it, and the README's option tables, which must be what the declarations
// generate (`mola-inspect <command> --help-markdown`; paste its output to update the README).
import Foundation
import MoLATestSupport
import Testing

@Suite struct HelpTextTests {
    /// Every command that takes options, as its words on the command line.
    static let commands: [[String]] = [
        ["info"], ["redundancy"], ["spectrum"], ["check"], ["diff"], ["advise"], ["merge"], ["routing"], ["train"], ["eval"], ["continual"],
        ["tokenize"], ["score"], ["generate"], ["convert"],
        ["plot", "redundancy"], ["plot", "pairs"], ["plot", "allocation"],
        ["plot", "routing"], ["plot", "routing-weights"], ["plot", "routing-redundancy"], ["plot", "spectrum"], ["plot", "diff"],
        ["plot", "accuracy"], ["plot", "continual"],
    ]

    /// The help line of `option` in `command --help`.
    func helpLine(_ command: [String], _ option: String) throws -> String {
        let help = try runMolaInspect(command + ["--help"])
        #expect(help.status == 0)
        return help.standardOutput.split(separator: "\n").map(String.init).first { $0.hasPrefix("  \(option) ") } ?? ""
    }

    /// eval once borrowed train's --base ("fine-tune MoLA adapters ...") and routing's --length
    /// ("default 256") while it runs with 512.
    @Test func evalDescribesItsOwnOptions() throws {
        let base = try helpLine(["eval"], "--base")
        #expect(base.contains("the base model to evaluate"), "\(base)")
        #expect(!base.contains("fine-tune"), "\(base)")
        let length = try helpLine(["eval"], "--length")
        #expect(length.contains("(8 to 65536, default 512)"), "\(length)")
        #expect(try helpLine(["routing"], "--length").contains("(1 to 65536, default 256)"))
        #expect(try helpLine(["train"], "--base").contains("fine-tune"))
    }

    @Test func everyCommandHasHelp() throws {
        for command in Self.commands {
            let help = try runMolaInspect(command + ["--help"])
            #expect(help.status == 0)
            #expect(help.standardOutput.hasPrefix("usage: mola-inspect \(command.joined(separator: " "))"), "\(command)")
        }
        let plot = try runMolaInspect(["plot", "--help"])
        for figure in Self.commands.filter({ $0.first == "plot" }) {
            #expect(plot.standardOutput.contains("  \(figure[1]) "), "\(figure)")
        }
    }

    @Test(arguments: commands)
    func readmeHasTheGeneratedOptionTable(command: [String]) throws {
        let result = try runMolaInspect(command + ["--help-markdown"])
        #expect(result.status == 0)
        let table = result.standardOutput.trimmingCharacters(in: .newlines)
        #expect(table.hasPrefix("| option | meaning |"))
        let readme = try String(contentsOf: Fixtures.repository.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("\n" + table + "\n\n"),
                "README.md lacks the table of `\(command.joined(separator: " "))`; paste the output of `mola-inspect \(command.joined(separator: " ")) --help-markdown`")
    }

    /// mola-benchmark parses with the same library: help, and usage mistakes exit 64 (it used
    /// to ignore a bad value and run with the default).
    @Test func benchmarkOptions() throws {
        let binary = molaInspectBinary.deletingLastPathComponent().appendingPathComponent("mola-benchmark")
        func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            let output = Pipe(), error = Pipe()
            process.standardOutput = output
            process.standardError = error
            try process.run()
            let out = output.fileHandleForReading.readDataToEndOfFile(), err = error.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
        }
        let help = try run(["--help"])
        #expect(help.status == 0 && help.output.hasPrefix("usage: mola-benchmark"))
        let bad = try run(["--steps", "none"])
        #expect(bad.status == 64)
        #expect(bad.error == "error: --steps expects an integer from 1 to 1000000, got \"none\"\nhint: run `mola-benchmark --help` for usage\n")
        // Every numeric option's bounds, in help and enforced: 0, negative, huge, 2^63.
        let helpText = help.output
        #expect(helpText.contains("worker threads (1 to 1024, default 2)"), "\(helpText)")
        for value in ["0", "-1", "1000001", "9223372036854775808"] {
            let refused = try run(["--steps", value])
            #expect(refused.status == 64 && refused.error.hasPrefix("error: --steps expects an integer from 1 to 1000000"), "\(value)")
            #expect(try run(["--threads", value]).status == 64, "\(value)")
        }
        #expect(try run(["--routng-only"]).error.hasPrefix("error: unknown option --routng-only (did you mean --routing-only?)"))
    }
}
