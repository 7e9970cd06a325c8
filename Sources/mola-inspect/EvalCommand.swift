import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLAText
import MoLATrain

/// `mola-inspect eval --base BASE [ADAPTER]`: accuracy by greedy generation.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "eval", summary: "accuracy by greedy generation, scored as the reference does",
        usage: "mola-inspect eval --base BASE [adapter] (--tasks N | --data FILE) [options]",
        abstract: "Generates an answer for every question greedily (with a key/value cache) and scores it as the reference does: the letter of exactly one `The answer is X.`, or the label of `Answer: <label>`. Reports accuracy per synthetic domain (--tasks) or overall (--data: JSON/JSONL with instruction, input and answer).")

    @Argument(valueName: "adapter", help: "MoLA adapters to evaluate on the base (none: the base alone)") var adapter: FilePath?
    @Option(name: "--base", valueName: "BASE", help: "the base model to evaluate, or to run the adapter on (a GGUF file or a Hugging Face LLaMA directory)")
    var base: FilePath
    @Option(name: "--data", valueName: "FILE", help: "questions: JSON/JSONL records with instruction, input and answer") var data: FilePath?
    @Option(name: "--tasks", help: "N generated questions per synthetic domain instead of --data", in: 1...100_000) var tasks: Int?
    @Option(name: "--seed", help: "with --tasks: the seed of the generated questions (training's is 42)", in: 0...) var seed = 7
    @OptionGroup var taskOptions: SyntheticTaskOptions
    @OptionGroup var topK: TopKOptions
    @Option(name: "--max-new-tokens", help: "tokens generated per question, fewer than --length", in: 1...65_535) var maxNewTokens = 24
    @Option(name: "--length", help: "the longest prompt plus answer, in tokens", in: 8...65_536) var length = 512
    @OptionGroup var output: OutputOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard (data == nil) != (tasks == nil) else { throw UsageError("give one of --data FILE and --tasks N") }
        try taskOptions.validate(tasks: tasks)
        guard maxNewTokens < length else {
            throw UsageError("--max-new-tokens \(maxNewTokens) leaves no room for the prompt in --length \(length)")
        }
    }

    func run() throws {
        let basePath = base.path
        try OutputSafety.check(outputs: [("--output", output.output?.path)],
                               inputs: [.base(basePath), .checkpoint(adapter?.path), .file(data?.path)])
        let newTokens = maxNewTokens
        let base = try OpenedBase(path: basePath)
        let tokenizer = try base.tokenizer()
        let items: [Evaluation.Item]
        if let count = tasks {
            items = taskOptions.generate(count: count, seed: UInt64(seed)).map(\.question)
        } else {
            items = try TextDataset.loadQuestions(path: data!.path).map {
                Evaluation.Item(group: "all", prompt: $0.prompt, answer: $0.answer)
            }
        }
        let checkpoint = try adapter.map { try Checkpoint(path: $0.path) }
        let topK = try checkpoint.map { try $0.resolveTopK(option: self.topK.topK) }
        let model = try base.model(adapter: checkpoint, topK: topK?.perLayer, batch: 1, length: length, threads: threads.count)
        let progress = ProgressBar(label: "evaluating", unit: "questions")
        let result = try Evaluation.run(items, generator: KeyValueCacheGenerator(model: model), tokenizer: tokenizer, maxNewTokens: newTokens) { progress.update(done: $0, total: $1) }
        progress.finish()
        let report = EvaluationReport(base: basePath, adapter: checkpoint?.path, topK: topK?.perLayer,
                                      topKSource: topK?.source.reportName, result: result)
        let text: String
        if output.json {
            text = try JSONDocument.rendered(report)
        } else {
            var table = TextTable(headers: ["group", "correct", "total", "accuracy"], rightAligned: [1, 2, 3])
            for group in report.groups {
                table.append([group.name, String(group.correct), String(group.total), String(format: "%.3f", group.accuracy)])
            }
            table.append(["all", String(report.correct), String(report.items), String(format: "%.3f", report.accuracy)])
            text = table.rendered()
        }
        try output.destination.write(text, format: output.format)
    }
}
