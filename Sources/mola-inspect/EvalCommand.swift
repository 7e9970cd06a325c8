import Foundation
import MoLACheckpoint
import MoLAModel
import MoLATrain

/// `mola-inspect eval --base DIR [ADAPTER]`: accuracy by greedy generation.
enum EvalCommand {
    static let maxNewTokens = OptionSpec(name: "--max-new-tokens", valueName: "N", help: "tokens generated per question (default 24)")
    static let seed = OptionSpec(name: "--seed", valueName: "N", help: "with --tasks: the generator's seed (default 7, unlike training's 42)")
    static let options = [TrainCommand.base, TrainCommand.data, TrainCommand.tasks, seed, SharedOptions.topK, maxNewTokens,
                          RoutingCommand.length, SharedOptions.json, SharedOptions.output, SharedOptions.threads]

    static let help = helpText(
        usage: "mola-inspect eval --base DIR [adapter] (--tasks N | --data FILE) [options]",
        summary: "Generates an answer for every question greedily (with a key/value cache) and scores it as the reference does: the letter of exactly one `The answer is X.`, or the label of `Answer: <label>`. Reports accuracy per synthetic domain (--tasks) or overall (--data: JSON/JSONL with instruction, input and answer).",
        options: options)

    @Sendable static func run(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options)
        if arguments.wantsHelp { return print(help) }
        guard arguments.positionals.count <= 1 else { throw UsageError("give at most one adapter") }
        guard let basePath = arguments.value(TrainCommand.base.name) else { throw UsageError("missing --base DIR") }
        guard (arguments.value(TrainCommand.data.name) == nil) != (arguments.value(TrainCommand.tasks.name) == nil) else {
            throw UsageError("give one of --data FILE and --tasks N")
        }
        let newTokens = try arguments.integer(maxNewTokens.name, in: 1...4096) ?? 24
        let length = try arguments.integer(RoutingCommand.length.name, in: 8...65_536) ?? 512
        let tokenizer = try BaseTokenizer(baseDirectory: basePath)
        let items: [Evaluation.Item]
        if let count = try arguments.integer(TrainCommand.tasks.name, in: 1...1_000_000) {
            let generated = SyntheticTasks.generate(count: count, seed: UInt64(try arguments.integer(seed.name, in: 0...Int.max) ?? 7))
            items = generated.map { Evaluation.Item(group: $0.domain.rawValue, prompt: PromptTemplate.alpaca(instruction: $0.instruction, input: $0.input, output: ""), answer: $0.answer) }
        } else {
            items = try TextDataset.loadQuestions(path: arguments.value(TrainCommand.data.name)!).map {
                Evaluation.Item(group: "all", prompt: $0.prompt, answer: $0.answer)
            }
        }
        let checkpoint = try arguments.positionals.first.map { try Checkpoint(path: $0) }
        let topK = checkpoint.map { $0.topK(flag: nil).perLayer }
        let flag = try arguments.integer(SharedOptions.topK.name, in: 1...1024)
        let model = try LlamaModel.load(baseDirectory: basePath, adapter: checkpoint,
                                        topK: flag.flatMap { k in checkpoint.map { $0.adapter.layers.map { _ in k } } } ?? topK,
                                        batch: 1, time: length, threadCount: 1)
        let progress = ProgressBar(label: "evaluating", unit: "questions")
        let result = try Evaluation.run(items, generator: KeyValueCacheGenerator(model: model), tokenizer: tokenizer, maxNewTokens: newTokens) { progress.update(done: $0, total: $1) }
        progress.finish()
        let text: String
        if arguments.flag(SharedOptions.json.name) {
            text = JSONValue.object([
                ("base", .string(basePath)), ("adapter", checkpoint.map { .string($0.path) } ?? .null),
                ("items", .integer(result.total)), ("correct", .integer(result.correct)), ("accuracy", .number(result.accuracy)),
                ("groups", .array(result.groups.map { group in
                    .object([("name", .string(group.name)), ("correct", .integer(group.correct)), ("total", .integer(group.total)),
                             ("accuracy", .number(group.total > 0 ? Double(group.correct) / Double(group.total) : 0))])
                })),
            ]).rendered()
        } else {
            var table = TextTable(headers: ["group", "correct", "total", "accuracy"], rightAligned: [1, 2, 3])
            for group in result.groups {
                table.append([group.name, String(group.correct), String(group.total), String(format: "%.3f", Double(group.correct) / Double(max(group.total, 1)))])
            }
            table.append(["all", String(result.correct), String(result.total), String(format: "%.3f", result.accuracy)])
            text = table.rendered()
        }
        try OutputDestination(path: arguments.value(SharedOptions.output.name)).write(text)
    }
}
