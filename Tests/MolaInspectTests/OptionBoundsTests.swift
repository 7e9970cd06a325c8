// Every numeric option of every command, as the help states its range: values just outside it,
// huge ones and 2^63 are usage errors (exit 64) naming the option, never a crash; and the
// combinations a range cannot express (--max-new-tokens against --length, a data set smaller
// than a micro-batch, sizes beyond the machine's memory) are refused or handled up front.
import Foundation
import MoLATestSupport
import Testing

@Suite final class OptionBoundsTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    /// The bounded options of `command` as its help shows them: name, lower bound, upper bound
    /// (nil: none), and whether the upper bound is excluded.
    static func boundedOptions(_ command: [String]) throws -> [(name: String, lower: String, upper: String?, excludesUpper: Bool)] {
        let help = try runMolaInspect(command + ["--help"]).standardOutput
        let pattern = try NSRegularExpression(pattern: #"^  (--[a-z-]+) \S+ .*\((?:(\S+) to (\S+)|at least (\S+) and less than ([^,)]+)|at least ([^,)]+))[,)]"#)
        return help.split(separator: "\n").compactMap { line -> (String, String, String?, Bool)? in
            let text = String(line)
            guard let match = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
            func group(_ index: Int) -> String? {
                Range(match.range(at: index), in: text).map { String(text[$0]) }
            }
            let name = group(1)!
            if let lower = group(2) { return (name, lower, group(3), false) }
            if let lower = group(4) { return (name, lower, group(5), true) }
            return (name, group(6)!, nil, false)
        }
    }

    /// Values outside `lower ... upper` (or `lower ..< upper`) as a user would type them.
    static func outside(lower: String, upper: String?, excludesUpper: Bool) -> [String] {
        var values = ["9223372036854775808", "-9223372036854775809", "1e400"]
        if let integer = Int(lower) { values.append(String(integer - 1)) } else if let number = Double(lower) { values.append(String(number - 1)) }
        if let upper {
            if excludesUpper { values.append(upper) }
            if let integer = Int(upper) { values.append(String(integer + 1)) } else if let number = Double(upper) { values.append(String(number * 10)) }
        }
        // 2^63 is a fine float: keep only what lies outside the range as a number too.
        let low = Double(lower) ?? -.infinity, high = upper.flatMap(Double.init) ?? .infinity
        return values.filter { value in
            guard let number = Double(value), number.isFinite else { return true }
            return number < low || number > high || (excludesUpper && number == high)
        }
    }

    @Test(arguments: HelpTextTests.commands)
    func everyBoundedOptionRefusesWhatItsHelpExcludes(command: [String]) throws {
        let options = try Self.boundedOptions(command)
        if ["train", "eval", "routing"].contains(command[0]) { #expect(options.count >= 5, "\(command): \(options)") }
        for option in options {
            for value in Self.outside(lower: option.lower, upper: option.upper, excludesUpper: option.excludesUpper) {
                let result = try runMolaInspect(command + [option.name, value])
                #expect(result.status == 64, "\(command) \(option.name) \(value): \(result.standardError)")
                #expect(result.standardError.hasPrefix("error: \(option.name) expects "), "\(command) \(option.name) \(value): \(result.standardError)")
            }
        }
    }

    /// What help says about --threads, a shared option, is true for each command.
    @Test func rangesShowInHelp() throws {
        let help = try runMolaInspect(["train", "--help"]).standardOutput
        #expect(help.contains("--cutoff N                  tokens per sequence; longer ones are truncated (2 to 65536, default 256)"), "\(help)")
        #expect(help.contains("dropout on the adapter input (at least 0 and less than 1, default 0.05)"))
        let eval = try runMolaInspect(["eval", "--help"]).standardOutput
        #expect(eval.contains("tokens generated per question, fewer than --length (1 to 65535, default 24)"), "\(eval)")
    }

    /// A base pretrained for one step on small options; `deep` has 8 layers of 8 heads, so that the
    /// attention buffers of a long --length exceed any machine's memory.
    func pretrainedBase(deep: Bool = false) throws -> String {
        let base = scratch.path(deep ? "deep" : "base")
        let result = try runMolaInspect(["train", "--pretrain", "--layers", deep ? "8" : "1", "--hidden", "16", "--mlp", "16",
                                         "--heads", deep ? "8" : "2", "--tasks", "1", "--cutoff", "32", "--batch", "2",
                                         "--micro-batch", "2", "--steps", "1", "--out", base])
        #expect(result.status == 0, "\(result.standardError)")
        return base
    }

    @Test func combinationsARangeCannotExpress() throws {
        let base = try pretrainedBase()
        // A data set of 4 sequences and a micro-batch of 16: every micro-batch takes several passes (it crashed).
        let small = try runMolaInspect(["train", "--pretrain", "--layers", "1", "--hidden", "16", "--mlp", "16", "--heads", "2",
                                        "--tasks", "1", "--cutoff", "32", "--batch", "16", "--micro-batch", "16", "--steps", "2",
                                        "--out", scratch.path("small")])
        #expect(small.status == 0, "\(small.standardError)")
        // --max-new-tokens must leave the prompt a token of --length (it crashed taking a negative suffix).
        let eval = try runMolaInspect(["eval", "--base", base, "--tasks", "1", "--max-new-tokens", "600", "--length", "512"])
        #expect(eval.status == 64)
        #expect(eval.standardError.hasPrefix("error: --max-new-tokens 600 leaves no room for the prompt in --length 512\n"))
        #expect(try runMolaInspect(["eval", "--base", base, "--tasks", "1", "--max-new-tokens", "15", "--length", "16"]).status == 0)
        // Sizes that do not fit together are usage errors in the options' own words.
        let sizes = try runMolaInspect(["train", "--pretrain", "--hidden", "30", "--heads", "4", "--tasks", "1", "--out", scratch.path("x")])
        #expect(sizes.status == 64)
        #expect(sizes.standardError.hasPrefix("error: the sizes do not fit together: --hidden 30 is not a multiple of --heads 4\n"))
    }

    /// Buffers --length (and --batch, --cutoff, --micro-batch) ask for beyond the machine's memory
    /// are refused before anything is allocated, saying how much they would need.
    @Test func buffersBeyondTheMachineAreRefusedUpFront() throws {
        let base = try pretrainedBase()
        let adapter = scratch.path("adapter")
        #expect(try runMolaInspect(["train", "--base", base, "--allocation", "2", "--tasks", "1", "--cutoff", "32", "--batch", "2",
                                    "--micro-batch", "2", "--steps", "1", "--out", adapter]).status == 0)
        let data = try scratch.write(Array("one line\n".utf8), to: "data.txt")
        let routing = try runMolaInspect(["routing", "--base", base, adapter, "--data", data, "--length", "65536", "--batch", "4096"])
        #expect(routing.status == 1)
        // Routing holds one layer of the base at a time (LayerwiseModel): its buffers are what is refused.
        #expect(routing.standardError.hasPrefix("error: one layer of the base with buffers for 4096 sequences of 65536 tokens would need "),
                "\(routing.standardError)")
        #expect(routing.standardError.contains("\nhint: a smaller --length or --batch needs less"))
        let train = try runMolaInspect(["train", "--pretrain", "--tasks", "1", "--cutoff", "65536", "--batch", "4096",
                                        "--micro-batch", "4096", "--out", scratch.path("big")])
        #expect(train.status == 1)
        #expect(train.standardError.hasPrefix("error: the model with buffers for 4096 sequences of 65536 tokens would need "), "\(train.standardError)")
        #expect(train.standardError.contains("of memory, more than the machine's "))
        #expect(train.standardError.contains("\nhint: a smaller --micro-batch or --cutoff needs less"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("big")))
        // 8 layers x 8 heads x 65536^2 attention weights: 1 TiB.
        let eval = try runMolaInspect(["eval", "--base", try pretrainedBase(deep: true), "--tasks", "1", "--length", "65536"])
        #expect(eval.status == 1 && eval.standardError.contains("would need"), "\(eval.standardError)")
        let tasks = try runMolaInspect(["train", "--pretrain", "--tasks", "100000", "--cutoff", "65536", "--out", scratch.path("big")])
        #expect(tasks.standardError.hasPrefix("error: the training sequences would need "), "\(tasks.standardError)")
    }
}
