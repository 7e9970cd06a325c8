import MoLACommandLine
import MoLATrain

/// How a training run steps (`train`, and each domain of `continual`): `--epochs`, `--steps`,
/// `--lr`, `--warmup`, `--weight-decay`, `--batch`, `--micro-batch`, `--cutoff` and `--seed`.
struct OptimizerOptions: ParsableArguments {
    @Option(name: "--epochs", help: "passes over the data", in: 1...100_000) var epochs = 1
    @Option(name: "--steps", help: "optimizer steps instead of --epochs", in: 1...10_000_000) var steps: Int?
    @Option(name: "--lr", valueName: "RATE", help: "peak learning rate", in: 0...1e30) var learningRate = 3e-4
    @Option(name: "--warmup", help: "warm-up steps, by default 100 or a tenth of a shorter run", in: 0...10_000_000) var warmup: Int?
    @Option(name: "--weight-decay", valueName: "W", help: "AdamW's decoupled weight decay, as in the reference", in: 0...1_000_000) var weightDecay = 0.0
    @Option(name: "--batch", help: "sequences per optimizer step", in: 1...100_000) var batch = 128
    @Option(name: "--micro-batch", help: "sequences per forward pass, by default 8 or --batch when smaller", in: 1...4096) var microBatch: Int?
    @Option(name: "--cutoff", help: "tokens per sequence; longer ones are truncated", in: 2...65_536) var cutoff = 256
    @Option(name: "--seed", help: "random seed", in: 0...) var seed = 42

    /// `--micro-batch`, else 8 or `--batch` when smaller.
    var microBatchSize: Int { microBatch ?? min(8, batch) }

    func validate() throws {
        guard batch % microBatchSize == 0 else { throw UsageError("--batch \(batch) is not a multiple of --micro-batch \(microBatchSize)") }
    }

    /// The trainer's options these give.
    var trainingOptions: TrainingOptions {
        var options = TrainingOptions()
        options.learningRate = Float(learningRate)
        options.weightDecay = Float(weightDecay)
        options.steps = steps
        options.epochs = epochs
        options.batchSize = batch
        options.microBatchSize = microBatchSize
        options.seed = UInt64(seed)
        options.warmupSteps = warmup
        return options
    }
}
