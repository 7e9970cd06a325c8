import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAFiles
import MoLAModel
import MoLARouting
import MoLAText

/// `mola-inspect routing --base BASE ADAPTER --data FILE`: where tokens go.
enum RoutingCommand {
    static let base = OptionSpec(name: "--base", valueName: "DIR", help: "the Hugging Face LLaMA directory the adapter was trained on (required)")
    static let data = OptionSpec(name: "--data", valueName: "FILE", help: "text (one example a line), or JSON/JSONL in the reference layout")
    static let tokens = OptionSpec(name: "--tokens", valueName: "FILE", help: "pre-tokenised ids instead: a JSON array of arrays of integers")
    static let maxTokens = OptionSpec(name: "--max-tokens", valueName: "N", help: "stop after N counted tokens")
    static let length = OptionSpec(name: "--length", valueName: "N", help: "window length: longer sequences are cut into windows (default 256)")
    static let batch = OptionSpec(name: "--batch", valueName: "N", help: "windows per forward pass (default 8)")
    static let includePadding = OptionSpec(name: "--include-padding", valueName: nil, help: "count padding tokens too, as the reference's balance loss does")
    static let perToken = OptionSpec(name: "--per-token", valueName: "FILE", help: "also write each token's chosen experts and weights (JSONL)")
    static let options = [base, data, tokens, SharedOptions.topK, includePadding, maxTokens, length, batch, perToken,
                          SharedOptions.json, SharedOptions.csv, SharedOptions.output, SharedOptions.threads]

    static let help = helpText(
        usage: "mola-inspect routing --base DIR <adapter> (--data FILE | --tokens FILE) [options]",
        summary: "Runs the base with the adapter over a dataset and reports, for every layer, projection and expert, how often it is among the top-K (count and share), its mean softmax probability over all tokens and its mean renormalised weight when chosen; per projection the balance term, the routing entropy, experts never selected and experts taking more than twice their even share. Padding is excluded.",
        options: options,
        details: """
        Text goes through the base's tokenizer: its tokenizer.json (LLaMA 1 and 2's SentencePiece-style BPE,
        <s> first, eos_token of tokenizer_config.json appended), or this project's byte tokenizer where
        tokenizer_config.json declares "tokenizer_class": "MoLAByteTokenizer". Other tokenizers (byte-level
        BPE as in LLaMA 3): tokenise with them and pass the ids with --tokens.
        """)

    @Sendable static func run(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options)
        if arguments.wantsHelp { return print(help) }
        let format = try SharedOptions.format(arguments, allowsCSV: true)
        let writer = try arguments.value(perToken.name).map { try PerTokenWriter(path: $0) }
        let view = try analyse(arguments, adapterPath: try SharedOptions.checkpointPath(arguments), perToken: writer)
        let text = switch format {
        case .json: try JSONDocument.rendered(view.document)
        case .csv: view.csv
        case .table: view.table
        }
        try writer?.finish()
        try OutputDestination(path: arguments.value(SharedOptions.output.name)).write(text)
    }

    /// Runs the base with the adapter over the data the options name.
    static func analyse(_ arguments: ParsedArguments, adapterPath: String, perToken writer: PerTokenWriter? = nil) throws -> RoutingView {
        guard let basePath = arguments.value(base.name) else { throw UsageError("missing --base DIR, the base model directory") }
        let dataPath = arguments.value(data.name), tokensPath = arguments.value(tokens.name)
        guard (dataPath == nil) != (tokensPath == nil) else { throw UsageError("give one of --data FILE and --tokens FILE") }
        let topKFlag = try arguments.integer(SharedOptions.topK.name, in: 1...1024)
        let windowLength = try arguments.integer(length.name, in: 1...65_536) ?? 256
        let batchSize = try arguments.integer(batch.name, in: 1...4096) ?? 8
        let limit = try arguments.integer(maxTokens.name, in: 1...Int.max)
        let threads = try SharedOptions.threadCount(arguments)

        let checkpoint = try Checkpoint(path: adapterPath)
        let resolution = try checkpoint.resolveTopK(option: topKFlag)
        let (topK, topKSource) = (resolution.perLayer, resolution.source)
        // Data before the model, so a bad file fails fast.
        var padding = 0
        let sequences: [[Int]]
        let tokenizerName: String
        if let tokensPath {
            sequences = try TextDataset.loadTokens(path: tokensPath)
            tokenizerName = "pre-tokenised"
        } else {
            let tokenizer = try BaseTokenizer(baseDirectory: basePath)
            sequences = try TextDataset.load(path: dataPath!).map { tokenizer.encode($0, appendEnd: true) }
            padding = tokenizer.paddingId
            tokenizerName = tokenizer.description
        }
        let model = try LlamaModel.load(baseDirectory: basePath, adapter: checkpoint, topK: topK,
                                        batch: batchSize, time: windowLength, threadCount: threads)
        for (index, sequence) in sequences.enumerated() {
            if let position = sequence.firstIndex(where: { $0 < 0 || $0 >= model.config.vocabularySize }) {
                throw ModelError.invalidConfig("token id \(sequence[position]) (sequence \(index), position \(position)) is outside the base's vocabulary of \(model.config.vocabularySize)")
            }
        }
        let progress = ProgressBar(label: "routing", unit: "tokens")
        let report = try RoutingRun.run(model: model, sequences: sequences, padding: padding,
                                        includePadding: arguments.flag(includePadding.name), maxTokens: limit,
                                        progress: { progress.update(done: $0, total: $1) },
                                        perToken: writer.map { writer in { try writer.append(windows: $0, records: $1, counted: $2) } })
        progress.finish()
        guard report.tokens > 0 else { throw CommandError.failed("the data holds no tokens to route") }
        return RoutingView(basePath: basePath, tokenizer: tokenizerName, checkpoint: checkpoint, report: report, topK: topK, topKSource: topKSource,
                           includePadding: arguments.flag(includePadding.name))
    }
}

/// Each token's chosen experts and weights, one JSON line per token, written to a temporary
/// file and renamed into place by `finish()`.
final class PerTokenWriter {
    private let file: AtomicFileWriter
    private var sequence = 0

    init(path: String) throws {
        file = try AtomicFileWriter(path: path)
    }

    func append(windows: [[Int]], records: [RoutingRecord], counted: [Bool]) throws {
        let time = counted.count / max(windows.count, 1)
        var lines = ""
        for (index, window) in windows.enumerated() {
            for position in 0..<window.count where counted[index * time + position] {
                let token = index * time + position
                let routes = records.map { record -> String in
                    let chosen = (0..<record.topK).map { String(record.chosen[token * record.topK + $0]) }
                    let weights = (0..<record.topK).map { String(record.weights[token * record.topK + $0]) }
                    return "\"\(record.layer).\(record.projection.checkpointName)\": {\"experts\": [\(chosen.joined(separator: ", "))], \"weights\": [\(weights.joined(separator: ", "))]}"
                }
                lines += "{\"window\": \(sequence + index), \"position\": \(position), \"token\": \(window[position]), \"routes\": {\(routes.joined(separator: ", "))}}\n"
            }
        }
        sequence += windows.count
        try file.write(Data(lines.utf8))
    }

    func finish() throws { try file.commit() }
}
