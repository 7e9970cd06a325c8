import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine

/// `mola-inspect info CKPT`: the architecture card of a checkpoint.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "info", summary: "the architecture card of a checkpoint",
        usage: "mola-inspect info <checkpoint> [options]",
        abstract: "Shows a MoLA checkpoint's architecture: layers, experts per layer and the paper's allocation name, ranks, scales, top-K, parameter counts, and any tensor holding NaN or infinity.",
        details: """
        <checkpoint> is an adapter directory (adapter_model.safetensors or adapter_model.bin, with
        adapter_config.json) or one of those files; a trainer checkpoint's pytorch_model.bin works too.
        """)

    @OptionGroup var input: CheckpointArgument
    @OptionGroup var topK: TopKOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        try OutputSafety.check(outputs: [("--output", output.output?.path)], inputs: [.checkpoint(input.checkpoint.path)])
        let checkpoint = try Checkpoint(path: input.checkpoint.path)
        let progress = ProgressBar(label: "scanning values")
        let nonFinite = try FinitenessScan.scan(checkpoint.adapter, threadCount: threads.count) { progress.update(done: $0, total: $1) }
        progress.finish()
        let card = try ArchitectureCard(checkpoint: checkpoint, topKFlag: topK.topK, nonFinite: nonFinite)
        try output.destination.write(output.json ? try card.json().rendered() : card.table, format: output.format)
    }
}
