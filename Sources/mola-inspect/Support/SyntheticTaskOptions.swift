import Foundation
import MoLACommandLine
import MoLAText
import MoLATrain

/// `--domains`, `--fixed-options` and `--answers`: which generated tasks `--tasks N` makes (train and eval).
struct SyntheticTaskOptions: ParsableArguments {
    @Option(name: "--domains", valueName: "LIST", help: "with --tasks: the synthetic domains, comma-separated (default: arithmetic,reversal,sorting,topic)")
    var domains: SyntheticDomainList?
    @OptionGroup var style: TaskStyleOptions

    /// Refuses these options without `--tasks N`, which they shape.
    func validate(tasks: Int?) throws {
        if tasks == nil, domains != nil || style.isChanged {
            throw UsageError("--domains, --fixed-options and --answers shape the generated tasks: give them with --tasks N")
        }
    }

    var chosenDomains: [SyntheticTasks.Domain] { domains?.domains ?? SyntheticTasks.Domain.allCases }

    /// `count` examples of each chosen domain for `seed`.
    func generate(count: Int, seed: UInt64) -> [SyntheticTasks.Example] {
        style.generate(chosenDomains, count: count, seed: seed)
    }
}

/// `--fixed-options` and `--answers`: how generated questions are put (train, eval, continual).
struct TaskStyleOptions: ParsableArguments {
    @Flag(name: "--fixed-options", help: "with --tasks: options in a fixed order (topic's always biology, physics, chemistry, economics; the others sorted, so sorting's answer is always A), an easier task")
    var fixedOptions: Bool
    @Option(name: "--answers", help: "with --tasks: outputs name the answer as the reference's letter (The answer is B.) or as the option's text (Answer: biology)")
    var answers = SyntheticTasks.AnswerStyle.letter

    /// Whether either differs from its default.
    var isChanged: Bool { fixedOptions || answers != .letter }

    /// `count` examples of each of `domains` for `seed`.
    func generate(_ domains: [SyntheticTasks.Domain], count: Int, seed: UInt64) -> [SyntheticTasks.Example] {
        SyntheticTasks.generate(domains: domains, count: count, seed: seed, shuffleOptions: !fixedOptions, answers: answers)
    }
}

/// A comma-separated list of synthetic domains, each named once.
struct SyntheticDomainList: ExpressibleByArgument {
    let domains: [SyntheticTasks.Domain]

    init?(argument: String) {
        let names = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let parsed = names.compactMap { SyntheticTasks.Domain(rawValue: $0) }
        guard !names.isEmpty, parsed.count == names.count, Set(parsed).count == parsed.count else { return nil }
        domains = parsed
    }

    var argumentDescription: String { domains.map(\.rawValue).joined(separator: ",") }
    static var defaultValueName: String { "LIST" }
    static func invalidArgumentMessage(_ argument: String, option: String) -> String {
        "\(option) \"\(argument)\" is not a list of distinct domains from " + SyntheticTasks.Domain.allCases.map(\.rawValue).joined(separator: ", ")
    }
}

extension SyntheticTasks.AnswerStyle: ExpressibleByArgument {}

extension SyntheticTasks.Example {
    /// The Alpaca prompt, with an empty response, that the output follows.
    var prompt: String { PromptTemplate.alpaca(instruction: instruction, input: input, output: "") }

    /// The example as a question scored by its answer, grouped by its domain.
    var question: Evaluation.Item { Evaluation.Item(group: domain.rawValue, prompt: prompt, answer: answer) }
}
