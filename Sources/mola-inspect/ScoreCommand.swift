import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLAText

/// `mola-inspect score --base B [ADAPTER] (--text T | --data FILE)`: how likely the model finds a text.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "score", summary: "each token's log-probability, the log-likelihood and perplexity of texts",
        usage: "mola-inspect score --base BASE [adapter] (--text T ... | --data FILE) [options]",
        abstract: "Runs the base (with the adapter, when given) over each text once and reports each token's log-probability given the tokens before it, the total log-likelihood and the perplexity; --top K adds the K most likely tokens at each position and after the last token. With and without an adapter, this shows what a fine-tune did to held-out text.")

    @Argument(valueName: "adapter", help: "MoLA adapters to run on the base (none: the base alone)") var adapter: FilePath?
    @Option(name: "--base", valueName: "BASE", help: "the base model: a GGUF file or a Hugging Face LLaMA directory") var base: FilePath
    @Option(name: "--text", valueName: "TEXT", help: "a text to score", repeating: ()) var texts: [String]
    @Option(name: "--data", valueName: "FILE", help: "texts to score: one a line, or JSON/JSONL in the reference layout") var data: FilePath?
    @Option(name: "--top", valueName: "K", help: "also list the K most likely tokens at each position", in: 0...100) var top = 0
    @OptionGroup var topK: TopKOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard texts.isEmpty != (data == nil) else { throw UsageError("give --text T (one or more) or --data FILE") }
    }

    func run() throws {
        try OutputSafety.check(outputs: [("--output", output.output?.path)],
                               inputs: [.base(base.path), .checkpoint(adapter?.path), .file(data?.path)])
        let source = try OpenedBase(path: base.path)
        let tokenizer = try source.tokenizer()
        let inputs = try data.map { try TextDataset.load(path: $0.path) } ?? texts
        let encoded = inputs.map { tokenizer.encode($0, appendEnd: false) }
        for (index, ids) in encoded.enumerated() {
            guard !ids.isEmpty else { throw CommandError.failed("text \(index + 1) has no tokens to score") }
            try source.checkFits(ids.count, what: "text \(index + 1)")
        }
        let checkpoint = try adapter.map { try Checkpoint(path: $0.path) }
        let resolution = try checkpoint.map { try $0.resolveTopK(option: topK.topK) }
        // Shortest first, each in a window of its length class, so that a short text does not pay
        // for the longest one's window; a new class opens a new model (a directory's weights stay
        // mapped and run layer by layer, in bounded memory; a GGUF base is dequantized again).
        let longest = encoded.map(\.count).max() ?? 1
        let order = encoded.indices.sorted { (encoded[$0].count, $0) < (encoded[$1].count, $1) }
        let progress = ProgressBar(label: "scoring", unit: "texts")
        var scored = [SequenceScore?](repeating: nil, count: encoded.count)
        var model: (any LogitsPass)?
        for (done, index) in order.enumerated() {
            let window = Self.window(for: encoded[index].count, longest: longest)
            if model?.time != window {
                model = nil  // the previous class's model goes before the next is made
                model = try LayerwiseModel.passWithoutBackward(base: base.path, adapter: checkpoint, topK: resolution?.perLayer, batch: 1,
                                                               time: window, threadCount: threads.count)
            }
            scored[index] = try TokenScorer.score(encoded[index], model: model!, top: top, threads: threads.count)
            progress.update(done: done + 1, total: encoded.count)
        }
        progress.finish()
        let view = ScoreView(tokenizer: tokenizer, texts: inputs, ids: encoded, scores: scored.map { $0! })
        try output.destination.write(output.json ? view.json : view.table, format: output.format)
    }
}

extension ScoreCommand {
    /// The window a text of `count` tokens is scored in: the next power of two, at least 32 and at
    /// most the longest text's length (every class's window fits the longest text).
    static func window(for count: Int, longest: Int) -> Int {
        var window = 32
        while window < count { window *= 2 }
        return min(window, longest)
    }
}

/// The scores of `score` as JSON or as a table per text.
struct ScoreView {
    let tokenizer: BaseTokenizer
    let texts: [String]
    let ids: [[Int]]
    let scores: [SequenceScore]

    /// An array with one object per text:
    /// `{"text", "tokens": [{"id", "piece", "logprob", "top"}], "next", "log_likelihood", "perplexity"}`.
    var json: String {
        JSONValue.array(zip(texts, zip(ids, scores)).map { text, scored in
            let (ids, score) = scored
            let tokens = ids.indices.map { position -> JSONValue in
                .object([("id", .integer(ids[position])), ("piece", .string(tokenizer.piece(of: ids[position]))),
                         ("logprob", score.logProbabilities[position].map(JSONValue.number) ?? .null),
                         ("top", score.alternatives[position].map(candidates) ?? .null)])
            }
            return .object([("text", .string(text)), ("tokens", .array(tokens)), ("next", candidates(score.next)),
                            ("log_likelihood", .number(score.logLikelihood)),
                            ("perplexity", score.perplexity.map(JSONValue.number) ?? .null)])
        }).rendered()
    }

    private func candidates(_ list: [TokenCandidate]) -> JSONValue {
        .array(list.map { .object([("id", .integer($0.id)), ("piece", .string(tokenizer.piece(of: $0.id))), ("logprob", .number($0.logProbability))]) })
    }

    var table: String {
        zip(ids, scores).enumerated().map { index, scored in
            let (ids, score) = scored
            let showsTop = score.alternatives.contains { ($0 ?? []).isEmpty == false }
            var table = TextTable(headers: ["position", "id", "piece", "logprob"] + (showsTop ? ["most likely here"] : []), rightAligned: [0, 1, 3])
            for position in ids.indices {
                let logProbability = score.logProbabilities[position].map { String(format: "%.4f", $0) } ?? "-"
                table.append([String(position), String(ids[position]), tokenizer.piece(of: ids[position]), logProbability]
                             + (showsTop ? [describe(score.alternatives[position] ?? [])] : []))
            }
            let perplexity = score.perplexity.map { String(format: "%.4f", $0) } ?? "-"
            var lines = ["text \(index + 1): \(ids.count) tokens", table.rendered(),
                         String(format: "log-likelihood %.4f over %d predicted tokens, perplexity %@", score.logLikelihood, score.predictedCount, perplexity)]
            if !score.next.isEmpty { lines.append("next: " + describe(score.next)) }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    private func describe(_ list: [TokenCandidate]) -> String {
        list.map { "\(tokenizer.piece(of: $0.id)) (\(String(format: "%.3f", $0.logProbability)))" }.joined(separator: ", ")
    }
}
