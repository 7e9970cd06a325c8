// Help as a user reads it, and the README's option tables, which must be what the declarations
// generate (`mola-inspect <command> --help-markdown`; paste its output to update the README).
import Foundation
import MoLATestSupport
import Testing

@Suite struct HelpTextTests {
    /// Every command that takes options, as its words on the command line.
    static let commands: [[String]] = [
        ["info"], ["redundancy"], ["routing"], ["train"], ["eval"],
        ["plot", "redundancy"], ["plot", "pairs"], ["plot", "allocation"],
        ["plot", "routing"], ["plot", "routing-weights"], ["plot", "routing-redundancy"],
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
        #expect(length.contains("(default 512)"), "\(length)")
        #expect(try helpLine(["routing"], "--length").contains("(default 256)"))
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
}
