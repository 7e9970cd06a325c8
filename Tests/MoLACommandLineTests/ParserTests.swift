// The parser on a small declared command: values, defaults, and every usage mistake with its
// exact message.
@testable import MoLACommandLine
import Testing

enum Shape: String, CaseIterable, ExpressibleByArgument {
    case circle, square
}

struct SizeOptions: ParsableArguments {
    @Option(name: "--width", valueName: "PX", help: "width in pixels", in: 1...100) var width = 10
    @Option(name: "--ratio", help: "aspect ratio", in: 0...) var ratio = 1.5

    func validate() throws {
        if width == 13 { throw UsageError("13 is unlucky") }
    }
}

struct Draw: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "draw", summary: "draws a shape", usage: "tool draw <name> [options]",
        abstract: "Draws one shape of the given size.", details: "Shapes are drawn in order.")

    @Argument(valueName: "name", help: "what to call the drawing") var name: String
    @Argument(valueName: "extra", help: "an optional second name") var extra: String?
    @Option(name: "--out", aliases: ["-o"], valueName: "FILE", help: "where the drawing goes") var out: FilePath
    @Option(name: "--shape", help: "the shape") var shape = Shape.circle
    @Option(name: "--count", help: "how many, by default one per name", in: 1...) var count: Int?
    @Option(name: "--labels", help: "legend names", commaSeparated: ()) var labels: [String]?
    @Flag(name: "--fill", help: "fill the shape") var fill: Bool
    @OptionGroup var size: SizeOptions

    func validate() throws {
        if fill && shape == .square && count == 7 { throw UsageError("no") }
    }
}

struct Gallery: ParsableCommand {
    static let configuration = CommandConfiguration(name: "tool", summary: "", usage: "tool <command> [options]",
                                                    subcommands: [Draw.self], subcommandNoun: "command")
}

@Suite struct ParserTests {
    func parse(_ arguments: [String]) throws -> Draw { try Draw.parse(arguments) }

    func usageError(_ arguments: [String]) -> String? {
        do {
            _ = try parse(arguments)
            return nil
        } catch let error as UsageError {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    @Test func valuesAndDefaults() throws {
        let draw = try parse(["sun", "--out", "a.png"])
        #expect(draw.name == "sun")
        #expect(draw.extra == nil)
        #expect(draw.out == FilePath("a.png"))
        #expect(draw.shape == .circle)
        #expect(draw.count == nil)
        #expect(draw.labels == nil)
        #expect(!draw.fill)
        #expect(draw.size.width == 10 && draw.size.ratio == 1.5)
        let full = try parse(["--shape=square", "moon", "-o", "b.svg", "--count", "3", "--fill", "--width=20", "--ratio", "3e-1",
                              "--labels", "a, b,,c", "--", "--star"])
        #expect(full.shape == .square && full.count == 3 && full.fill && full.size.width == 20 && full.size.ratio == 0.3)
        #expect(full.labels == ["a", "b", "", "c"])
        #expect(full.name == "moon" && full.extra == "--star")
        #expect(full.out.path == "b.svg")
        #expect(try parse(["x", "--out", "a", "--width", "5", "--width", "6"]).size.width == 6)  // the last wins
    }

    @Test func parsedValuesAreCanonical() throws {
        let a = try parse(["x", "--out", "a", "--ratio", "3e-4"]).parsedOptionValues
        let b = try parse(["x", "--out", "a", "--ratio", "0.0003"]).parsedOptionValues
        #expect(a.map(\.value) == b.map(\.value))
        #expect(a.first { $0.name == "--ratio" }?.value == "0.0003")
        #expect(a.first { $0.name == "--width" }?.value == "10")  // defaults included
        #expect(!a.contains { $0.name == "--count" || $0.name == "--fill" })  // unset ones left out
    }

    @Test func everyMistakeHasItsMessage() {
        #expect(usageError(["x", "--out", "a", "--shap", "circle"]) == "unknown option --shap (did you mean --shape?)")
        #expect(usageError(["x", "--out", "a", "--zzzzzzzz"]) == "unknown option --zzzzzzzz")
        #expect(usageError(["x", "--out"]) == "--out needs a value (FILE)")
        #expect(usageError(["x", "--out", "a", "--width", "0"]) == "--width expects an integer from 1 to 100, got \"0\"")
        // A bounded number says its bounds even for text that is no number of its type (2^63 is no Int).
        #expect(usageError(["x", "--out", "a", "--width", "ten"]) == "--width expects an integer from 1 to 100, got \"ten\"")
        #expect(usageError(["x", "--out", "a", "--width", "9223372036854775808"])
            == "--width expects an integer from 1 to 100, got \"9223372036854775808\"")
        #expect(usageError(["x", "--out", "a", "--count", "-9223372036854775809"])
            == "--count expects an integer of at least 1, got \"-9223372036854775809\"")
        #expect(usageError(["x", "--out", "a", "--ratio", "-1"]) == "--ratio expects a number of at least 0, got \"-1\"")
        #expect(usageError(["x", "--out", "a", "--ratio", "inf"]) == "--ratio expects a number of at least 0, got \"inf\"")
        #expect(usageError(["x", "--out", "a", "--shape", "oval"]) == "--shape \"oval\" is not one of circle, square")
        #expect(usageError(["x", "--out", "a", "--fill=yes"]) == "--fill takes no value")
        #expect(usageError(["x"]) == "missing --out FILE (where the drawing goes)")
        #expect(usageError(["--out", "a"]) == "missing <name> (what to call the drawing)")
        #expect(usageError(["x", "y", "z", "--out", "a"]) == "unexpected argument \"z\"")
        #expect(usageError(["x", "--out", ""]) == "--out expects a path, got \"\"")
        #expect(usageError(["x", "--out", "a", "--width", "13"]) == "13 is unlucky")  // a group's validate()
        #expect(usageError(["x", "--out", "a", "--fill", "--shape", "square", "--count", "7"]) == "no")  // the command's
    }

    @Test func helpWinsOverBadValuesButNotOverUnknownOptions() {
        #expect(throws: HelpWanted.self) { try parse(["--width", "ten", "--help"]) }
        #expect(throws: HelpWanted.self) { try parse(["-h"]) }
        #expect(throws: UsageError("unknown option --wdth (did you mean --width?)")) { try parse(["--wdth", "--help"]) }
    }

    @Test func subcommandsAndTheirMistakes() throws {
        let invocation = try Gallery.parseInvocation(["draw", "x", "--out", "a"])
        #expect(invocation.path == ["draw"])
        #expect((invocation.command as? Draw)?.name == "x")
        #expect(throws: HelpRequest(text: Draw.helpText)) { try Gallery.parseInvocation(["draw", "--help"]) }
        #expect(throws: HelpRequest(text: Draw.markdownTable)) { try Gallery.parseInvocation(["draw", "--help-markdown"]) }
        do {
            _ = try Gallery.parseInvocation(["paint"])
            Issue.record("accepted an unknown command")
        } catch let error as CommandUsageError {
            #expect(error.description == "unknown command \"paint\"; use draw")
            #expect(error.path == [])
        }
        do {
            _ = try Gallery.parseInvocation(["draw", "x"])
            Issue.record("accepted a missing option")
        } catch let error as CommandUsageError {
            #expect(error.path == ["draw"])
        }
    }

    @Test func suggestionsUseEditDistance() {
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("", "abc") == 3)
        #expect(editDistance("abc", "") == 3)
        #expect(suggestion(for: "--metrc", among: ["--metric", "--json"]) == " (did you mean --metric?)")
        #expect(suggestion(for: "--xyzxyzxyz", among: ["--metric"]) == "")
    }
}
