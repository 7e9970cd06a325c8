import Foundation
import MoLAAnalysis
import MoLACheckpoint

/// `mola-inspect info CKPT`: the architecture card of a checkpoint.
enum InfoCommand {
    static let options = [SharedOptions.topK, SharedOptions.json, SharedOptions.output, SharedOptions.threads]

    static let help = helpText(
        usage: "mola-inspect info <checkpoint> [options]",
        summary: "Shows a MoLA checkpoint's architecture: layers, experts per layer and the paper's allocation name, ranks, scales, top-K, parameter counts, and any tensor holding NaN or infinity.",
        options: options,
        details: """
        <checkpoint> is an adapter directory (adapter_model.safetensors or adapter_model.bin, with
        adapter_config.json) or one of those files; a trainer checkpoint's pytorch_model.bin works too.
        """)

    @Sendable static func run(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options)
        if arguments.wantsHelp { return print(help) }
        let path = try SharedOptions.checkpointPath(arguments)
        let format = try SharedOptions.format(arguments, allowsCSV: false)
        let topKFlag = try arguments.integer(SharedOptions.topK.name, in: 1...1024)
        let threads = try SharedOptions.threadCount(arguments)
        let checkpoint = try Checkpoint(path: path)
        let progress = ProgressBar(label: "scanning values")
        let nonFinite = try FinitenessScan.scan(checkpoint.adapter, threadCount: threads) { progress.update(done: $0, total: $1) }
        progress.finish()
        let card = try ArchitectureCard(checkpoint: checkpoint, topKFlag: topKFlag, nonFinite: nonFinite)
        let text = format == .json ? try card.json().rendered() : card.table
        try OutputDestination(path: arguments.value(SharedOptions.output.name)).write(text)
    }
}
