import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLARouting
import MoLAText

/// `mola-inspect routing --base BASE ADAPTER --data FILE`: where tokens go.
struct RoutingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "routing", summary: "where tokens go: selection counts, shares, probabilities, balance per expert",
        usage: "mola-inspect routing --base BASE <adapter> (--data FILE | --tokens FILE) [options], or routing <adapter> --trace DIR",
        abstract: "Runs the base with the adapter over a dataset and reports, for every layer, projection and expert, how often it is among the top-K (count and share), its mean softmax probability over all tokens and its mean renormalised weight when chosen; per projection the balance term, the routing entropy, experts never selected and experts taking more than twice their even share. Padding is excluded.",
        details: """
        Text goes through the base's own tokenizer: a GGUF file's tokenizer.ggml.* metadata (byte-level BPE
        or SentencePiece), or a directory's tokenizer.json (byte-level BPE as in LLaMA 3, SmolLM and Qwen2,
        or LLaMA 1 and 2's SentencePiece-style BPE) with the special tokens of tokenizer_config.json, or this
        project's byte tokenizer where tokenizer_config.json declares "tokenizer_class": "MoLAByteTokenizer";
        the end token is appended as the reference appends it. Other tokenizers: tokenise with them and pass
        the ids with --tokens.
        --trace DIR computes the same statistics from a routing trace recorded inside a PyTorch job by
        python/mola_trace.py (every rank's shard merged; the trace's mask excludes padding and its manifest
        gives top-K); the adapter must have the trace's experts per layer.
        """)

    @Argument(valueName: "adapter", help: "the adapter checkpoint: a directory or file") var adapter: FilePath
    @OptionGroup var routing: RoutingRunOptions
    @Option(name: "--per-token", valueName: "FILE", help: "also write each token's chosen experts and weights (JSONL)") var perToken: FilePath?
    @OptionGroup var output: ReportOutputOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        var outputs: [(option: String, path: String?)] = [("--output", output.output?.path)]
        if let perToken { outputs.append(("--per-token", perToken.path)) }
        try OutputSafety.check(outputs: outputs, inputs: routing.inputs(adapter: adapter.path))
        let writer = try perToken.map { try PerTokenWriter(path: $0.path) }
        let view = try Self.analyse(routing, threads: threads.count, adapterPath: adapter.path, perToken: writer)
        let text = switch output.format {
        case .json: try JSONDocument.rendered(view.document)
        case .csv: view.csv
        case .table: view.table
        }
        try writer?.finish()
        try output.destination.write(text, format: output.format)
    }

    /// Runs the base with the adapter over the data the options name.
    static func analyse(_ options: RoutingRunOptions, threads: Int, adapterPath: String, perToken writer: PerTokenWriter? = nil) throws -> RoutingView {
        if let trace = options.trace?.path {
            guard writer == nil else { throw UsageError("--per-token needs a run over data; a trace is analysed with --json or --csv") }
            return try analyse(trace: trace, options: options, adapterPath: adapterPath)
        }
        guard let basePath = options.base?.path else { throw UsageError("missing --base BASE, the base model (a GGUF file or a Hugging Face directory)") }
        guard (options.data == nil) != (options.tokens == nil) else { throw UsageError("give one of --data FILE and --tokens FILE") }
        let topKFlag = options.topK.topK
        let windowLength = options.length
        let batchSize = options.batch
        let limit = options.maxTokens

        let checkpoint = try Checkpoint(path: adapterPath)
        let resolution = try checkpoint.resolveTopK(option: topKFlag)
        let (topK, topKSource) = (resolution.perLayer, resolution.source)
        let base = try OpenedBase(path: basePath)
        // Data before the model, so a bad file fails fast.
        let (sequences, padding, tokenizerName) = try options.sequences(base: base)
        // A directory's weights stay mapped and run layer by layer (bounded memory); a GGUF base is dequantized once.
        let model = try LayerwiseModel.passWithoutBackward(base: basePath, adapter: checkpoint, topK: topK, batch: batchSize, time: windowLength,
                                                           threadCount: threads)
        for (index, sequence) in sequences.enumerated() {
            if let position = sequence.firstIndex(where: { $0 < 0 || $0 >= model.config.vocabularySize }) {
                throw ModelError.invalidConfig("token id \(sequence[position]) (sequence \(index), position \(position)) is outside the base's vocabulary of \(model.config.vocabularySize)")
            }
        }
        let progress = ProgressBar(label: "routing", unit: "tokens")
        let report = try RoutingRun.run(model: model, sequences: sequences, padding: padding,
                                        includePadding: options.includePadding, maxTokens: limit,
                                        progress: { progress.update(done: $0, total: $1) },
                                        perToken: writer.map { writer in { try writer.append(windows: $0, records: $1, counted: $2) } })
        progress.finish()
        guard report.tokens > 0 else { throw CommandError.failed("the data holds no tokens to route") }
        return RoutingView(basePath: basePath, tokenizer: tokenizerName, checkpoint: checkpoint, report: report, topK: topK, topKSource: topKSource,
                           includePadding: options.includePadding)
    }
}

extension RoutingCommand {
    /// The statistics of a routing trace recorded in PyTorch, on the adapter it was recorded with.
    static func analyse(trace: String, options: RoutingRunOptions, adapterPath: String) throws -> RoutingView {
        let given = [("--base", options.base != nil), ("--data", options.data != nil), ("--tokens", options.tokens != nil),
                     ("--max-tokens", options.maxTokens != nil), ("--top-k", options.topK.topK != nil)]
        if let option = given.first(where: \.1)?.0 {
            throw UsageError("\(option) does not apply to --trace: the trace holds the tokens, their routing and top-K")
        }
        let checkpoint = try Checkpoint(path: adapterPath)
        let recorded = try RoutingTrace(directory: trace)
        let adapterExperts = checkpoint.adapter.allocation.expertsPerLayer
        guard recorded.reference.expertsPerLayer == adapterExperts else {
            throw RoutingTraceError.allocationMismatch(directory: trace, trace: recorded.reference.expertsPerLayer, adapter: adapterExperts)
        }
        let report = try recorded.report(includePadding: options.includePadding)
        guard report.tokens > 0 else { throw CommandError.failed("the trace holds no tokens to count (\(trace))") }
        let ranks = recorded.manifests.count
        return RoutingView(basePath: recorded.reference.model, tokenizer: "routing trace \(trace), \(ranks) rank\(ranks == 1 ? "" : "s")",
                           checkpoint: checkpoint, report: report, topK: recorded.reference.topK, topKSource: .routingTrace,
                           includePadding: options.includePadding)
    }
}

/// Each token's chosen experts and weights, one JSON line per token (`JSONValue`, so every line
/// is valid JSON: a weight that is NaN or infinite, from a router holding such values, is
/// `null`), written to a temporary file and renamed into place by `finish()`. `-` writes to
/// standard output.
final class PerTokenWriter {
    private let file: AtomicFileWriter
    private var sequence = 0

    init(path: String) throws {
        file = try AtomicFileWriter(path: OutputDestination.isStandardOutput(path) ? "/dev/stdout" : path)
    }

    func append(windows: [[Int]], records: [RoutingRecord], counted: [Bool]) throws {
        let time = counted.count / max(windows.count, 1)
        var lines = ""
        for (index, window) in windows.enumerated() {
            for position in 0..<window.count where counted[index * time + position] {
                let token = index * time + position
                let routes = records.map { record -> (String, JSONValue) in
                    let slots = (token * record.topK)..<((token + 1) * record.topK)
                    return ("\(record.layer).\(record.site.checkpointName)",
                            .object([("experts", .array(slots.map { .integer(Int(record.chosen[$0])) })),
                                     ("weights", .array(slots.map { .float(record.weights[$0]) }))]))
                }
                let line = JSONValue.object([("window", .integer(sequence + index)), ("position", .integer(position)),
                                             ("token", .integer(window[position])), ("routes", .object(routes))])
                lines += line.renderedOnOneLine() + "\n"
            }
        }
        sequence += windows.count
        try file.write(Data(lines.utf8))
    }

    func finish() throws { try file.commit() }
}
