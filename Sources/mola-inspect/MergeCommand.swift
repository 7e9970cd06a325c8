import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLARouting

/// `mola-inspect merge CKPT (--to ALLOCATION | --threshold D) -o OUT`: a smaller adapter from
/// merging each layer's most alike experts.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "merge", summary: "a smaller adapter: each layer's most alike experts merged, closest pairs first",
        usage: "mola-inspect merge <checkpoint> (--to ALLOCATION | --threshold D) --output DIR [--base BASE --data FILE] [options]",
        abstract: "Merges the most alike experts of every projection (closest mean updates first, by ||dW_i - dW_j||_F) into a valid, smaller MoLA checkpoint in the reference layout: each merged update is the usage-weighted mean of its experts' dW (usage from routing with --base and --data, else equal), factorised back to rank r by a truncated SVD; its router row is the usage-weighted mean of theirs.",
        details: """
        Reports per layer and projection which experts were merged and the relative error of each
        merged update's rank-r factorisation against the mean; with --base and --data also the mean
        KL divergence of the next-token distributions (original against merged) and both perplexities
        on that data. Nothing is written when the command fails; the input is never replaced.
        """)

    @OptionGroup var input: CheckpointArgument
    @Option(name: "--to", valueName: "DIGITS|LIST", help: "experts per layer after merging: the paper's digits (5555) or a list (5,5,4,...)") var to: String?
    @Option(name: "--threshold", valueName: "D", help: "merge while two experts' mean updates are closer than D (||dW_a - dW_b||_F)") var threshold: Double?
    @Option(name: "--output", aliases: ["-o"], valueName: "DIR", help: "the directory the merged checkpoint goes to") var out: FilePath
    @Option(name: "--format", help: "the adapter file: adapter_model.safetensors or adapter_model.bin") var format = AdapterFormatChoice.safetensors
    @Flag(name: "--json", help: "write the report as JSON (schema in README.md)") var json: Bool
    @OptionGroup var routing: RoutingRunOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard (to == nil) != (threshold == nil) else { throw UsageError("give one of --to ALLOCATION and --threshold D") }
        if let threshold, !(threshold > 0) { throw UsageError("--threshold must be positive (got \(threshold))") }
        if (routing.base == nil) != (routing.data == nil && routing.tokens == nil) {
            throw UsageError("--base and --data (or --tokens) go together: usage and the comparison need both")
        }
    }

    func run() throws {
        let path = input.checkpoint.path, output = out.path
        let names = [format.fileFormat.fileName, Checkpoint.configFileName, Checkpoint.sidecarFileName]
        let inputs: [CommandInput] = [.checkpoint(path), .base(routing.base?.path), .file(routing.data?.path), .file(routing.tokens?.path)]
        try OutputSafety.check(directory: output, option: "--output", writing: names, inputs: inputs)
        let existing = (Checkpoint.tensorFileNames + [Checkpoint.configFileName])
            .filter { FileManager.default.fileExists(atPath: URL(fileURLWithPath: output).appendingPathComponent($0).path) }
        guard existing.isEmpty else { throw CommandError.failed("\(output) already holds a checkpoint (\(existing.joined(separator: ", "))); name a new directory") }

        let checkpoint = try Checkpoint(path: path)
        let before = checkpoint.adapter.allocation.expertsPerLayer
        let target: ExpertMerger.Target = if let to {
            .allocation(try AdapterSpecOptions.parseAllocation(to, layerCount: before.count, option: "--to", owner: "the checkpoint"))
        } else {
            .threshold(threshold!)
        }
        try ExpertMerger.check(target, against: before)
        let topK = try checkpoint.resolveTopK(option: routing.topK.topK).perLayer

        var usage: [Int: [ProjectionKind: [Double]]] = [:]
        if routing.base != nil {
            let view = try RoutingCommand.analyse(routing, threads: threads.count, adapterPath: path)
            for layer in view.report.layers {
                for projection in layer.projections {
                    guard case let .projection(kind) = projection.site else { continue }
                    usage[layer.layer, default: [:]][kind] = projection.selected.map(Double.init)
                }
            }
        }
        let result = try ExpertMerger.merge(checkpoint.adapter, target: target) { usage[$0]?[$1] }
        let mergedTopK = zip(topK, result.expertsPerLayer).map { min($0, $1) }
        let config = checkpoint.config ?? AdapterConfig(peftType: "LORA", taskType: "CAUSAL_LM",
                                                        ranks: .perLayer(checkpoint.adapter.layers.map { $0.rank ?? 0 }),
                                                        alpha: checkpoint.adapter.alpha, targetModules: Array(Set(checkpoint.adapter.projections.map(\.kind))).sorted().map(\.checkpointName))
        let sidecar = MoLASidecar(expertsPerLayer: result.expertsPerLayer, topK: .perLayer(mergedTopK),
                                  alphaPerLayer: checkpoint.sidecar?.alphaPerLayer, balanceCoefficient: checkpoint.sidecar?.balanceCoefficient)

        // Written beside the output first, checked by loading (and comparing), then moved into place.
        let staging = try StagingDirectory(for: output)
        defer { staging.remove() }
        try AdapterDirectoryWriter.write(result.entries, format: format.fileFormat, config: config, sidecar: sidecar, to: staging.path)
        let merged = try Checkpoint(path: staging.path)
        var report = MergeReport(source: path, output: output, mode: to == nil ? "threshold" : "allocation", threshold: threshold,
                                 weighting: usage.isEmpty ? "equal" : "routing", expertsBefore: before, expertsAfter: result.expertsPerLayer,
                                 layers: result.layers)
        if let basePath = routing.base?.path {
            report.evaluation = try Self.compare(original: checkpoint, topK: topK, merged: merged, mergedTopK: mergedTopK, basePath: basePath,
                                                 options: routing, threads: threads.count)
        }
        try staging.move(names, into: output)
        let text = json ? try JSONDocument.rendered(report) : MergeView.table(report)
        try OutputDestination(path: nil).write(text, format: json ? .json : .table)
    }

    /// Both adapters on the base over the data: mean KL of next-token distributions, perplexities.
    static func compare(original: Checkpoint, topK: [Int], merged: Checkpoint, mergedTopK: [Int], basePath: String,
                        options: RoutingRunOptions, threads: Int) throws -> MergeReport.Evaluation {
        let base = try OpenedBase(path: basePath)
        let sequences = try options.sequences(base: base).sequences
        let first = try base.model(adapter: original, topK: topK, batch: 1, length: options.length, threads: threads)
        let second = try base.model(adapter: merged, topK: mergedTopK, batch: 1, length: options.length, threads: threads)
        let comparison = try NextTokenComparison(first: first, second: second, sequences: sequences, maxTokens: options.maxTokens)
        guard comparison.tokens > 0 else { throw CommandError.failed("the data holds no token with a next token to compare") }
        return MergeReport.Evaluation(tokens: comparison.tokens, meanKL: comparison.meanKL,
                                      perplexityOriginal: comparison.perplexityFirst, perplexityMerged: comparison.perplexitySecond)
    }
}
