import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLARouting

/// `mola-inspect advise`: how many experts each layer should have.
struct AdviseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "advise", summary: "an allocation of experts over layers: from a checkpoint's redundancy, or AlphaLoRA's from the base",
        usage: "mola-inspect advise (<checkpoint> [--base BASE --data FILE] | --from-base BASE --method alphalora) [options]",
        abstract: "Advises how many experts each layer should have, with the same total (or --total). From a trained checkpoint (method redundancy): in proportion to each layer's relative pairwise distance of dW (and, with --base and --data, its routing entropy). From a base alone (method alphalora): AlphaLoRA's allocation from the power-law exponents of the base's weight spectra, as its authors' expert_number.py computes it.",
        details: """
        Printed as the paper's digits when the allocation has that form, as the per-layer list that
        train --allocation reads, and as the reference code's --number_experts argument, with each
        layer's evidence. README.md ("advise and merge") gives the methods.
        """)

    @Argument(valueName: "checkpoint", help: "a trained adapter (directory or file), for method redundancy") var checkpoint: FilePath?
    @Option(name: "--from-base", valueName: "BASE", help: "a base (GGUF file or Hugging Face LLaMA directory), for method alphalora") var fromBase: FilePath?
    @Option(name: "--method", valueName: "redundancy|alphalora", help: "redundancy (from a checkpoint) or alphalora (from --from-base); by default the one the inputs allow") var method: AdviceMethod?
    @Option(name: "--total", valueName: "N", help: "experts over all layers: by default the checkpoint's, or 5 per layer for alphalora", in: 1...) var total: Int?
    @Option(name: "--beta", valueName: "X", help: "alphalora: experts in proportion to alpha^X (default 2.5)") var beta: Double?
    @Flag(name: "--corrected", help: "alphalora: x_min window from 0.95 x_peak (not its log10) and largest-remainder rounding, at least one expert a layer") var corrected: Bool
    @OptionGroup var routing: RoutingRunOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var threads: ThreadOptions

    enum AdviceMethod: String, CaseIterable, ExpressibleByArgument {
        case redundancy, alphalora
    }

    func validate() throws {
        switch resolvedMethod {
        case .alphalora:
            guard fromBase != nil else { throw UsageError("--method alphalora needs --from-base BASE") }
            guard checkpoint == nil else { throw UsageError("--method alphalora reads the base alone: leave out the checkpoint") }
            guard routing.base == nil, routing.data == nil, routing.tokens == nil else {
                throw UsageError("--base, --data and --tokens are for method redundancy; alphalora reads --from-base alone")
            }
        case .redundancy:
            guard checkpoint != nil else { throw UsageError("give a checkpoint, or --from-base BASE --method alphalora") }
            guard fromBase == nil else { throw UsageError("--from-base is for --method alphalora") }
            guard beta == nil, !corrected else { throw UsageError("--beta and --corrected are for --method alphalora") }
        }
        if let beta, !(beta > 0) { throw UsageError("--beta must be positive (got \(beta))") }
    }

    /// `--method`, else alphalora when only a base is given.
    var resolvedMethod: AdviceMethod { method ?? (checkpoint == nil && fromBase != nil ? .alphalora : .redundancy) }

    func run() throws {
        let inputs: [CommandInput] = [.checkpoint(checkpoint?.path), .base(fromBase?.path), .base(routing.base?.path),
                                      .file(routing.data?.path), .file(routing.tokens?.path)]
        try OutputSafety.check(outputs: [("--output", output.output?.path)], inputs: inputs)
        let advice = switch resolvedMethod {
        case .alphalora: try alphaLoRA(basePath: fromBase!.path)
        case .redundancy: try redundancy(checkpointPath: checkpoint!.path)
        }
        let text = output.format == .json ? try JSONDocument.rendered(advice, nullForAbsentValues: false) : AdviceView.table(advice)
        try output.destination.write(text, format: output.format)
    }

    private func alphaLoRA(basePath: String) throws -> AllocationAdvice {
        let base = try OpenedBase(path: basePath)
        let layerCount = base.config.layerCount
        let target = total ?? 5 * layerCount
        // Before loading the weights, so a bad total fails fast.
        guard target >= layerCount else { throw AnalysisError.totalBelowLayerCount(total: target, layers: layerCount) }
        let model = try base.model(adapter: nil, topK: nil, batch: 1, length: 1, threads: threads.count)
        let window: PowerLawWindow = corrected ? .corrected : .reference
        let progress = ProgressBar(label: "alphalora", unit: "layers")
        let fits = try AlphaLoRAAllocator.fits(layerCount: layerCount, window: window) { layer in
            defer { progress.update(done: layer + 1, total: layerCount) }
            return ProjectionKind.allCases.map { kind in
                let matrix = model.baseProjection(layer: layer, kind)
                return AlphaLoRAAllocator.Matrix(kind: kind, name: matrix.name, rows: matrix.rows, columns: matrix.columns, values: matrix.values)
            }
        }
        progress.finish()
        return try AlphaLoRAAllocator.advise(fits: fits, source: basePath, total: target, beta: beta ?? AlphaLoRAAllocator.defaultBeta,
                                             window: window, rounding: corrected ? .largestRemainder : .reference)
    }

    private func redundancy(checkpointPath: String) throws -> AllocationAdvice {
        let checkpoint = try Checkpoint(path: checkpointPath)
        let experts = checkpoint.adapter.allocation.expertsPerLayer
        let target = total ?? experts.reduce(0, +)
        guard target >= experts.count else { throw AnalysisError.totalBelowLayerCount(total: target, layers: experts.count) }
        // The attention projections' experts, as Figure 3 measures them; where no attention
        // projection has a mixture (MixLoRA: plain LoRA there, experts in the feed-forward
        // block), the projections that have one.
        let mixtures = checkpoint.adapter.projections.filter { $0.expertCount > 1 }
        let present = Set((mixtures.isEmpty ? checkpoint.adapter.projections : mixtures).map(\.kind))
        let kinds = present.intersection(ProjectionKind.attention).isEmpty ? present : present.intersection(ProjectionKind.attention)
        let report = try RedundancyAnalyzer.analyze(checkpoint.adapter, options: RedundancyOptions(metric: .delta, projections: kinds,
                                                                                                  threadCount: threads.count))
        var entropies: [Double]?
        if routing.base != nil || routing.data != nil || routing.tokens != nil {
            let view = try RoutingCommand.analyse(routing, threads: threads.count, adapterPath: checkpointPath)
            entropies = view.report.layers.map { layer in
                // A one-expert projection (plain LoRA) never routes: its entropy is 1 by definition.
                let routed = layer.projections.filter { $0.experts > 1 }
                guard !routed.isEmpty else { return 1 }
                return routed.map(\.normalisedEntropy).reduce(0, +) / Double(routed.count)
            }
        }
        return try RedundancyAllocator.advise(report: report, expertsPerLayer: experts, entropies: entropies, source: checkpointPath, total: target)
    }
}
