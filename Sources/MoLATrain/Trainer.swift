import Foundation
import MoLAModel
import MoLATensor

/// The training recipe: the reference's defaults where it has them.
public struct TrainingOptions: Sendable {
    public var learningRate: Float = 3e-4
    /// Warm-up steps; nil: the reference's 100, or a tenth of a shorter run.
    public var warmupSteps: Int?
    /// Optimizer steps; when nil, `epochs` passes over the data.
    public var steps: Int?
    public var epochs = 1
    /// Sequences per optimizer step (gradients accumulated over micro-batches).
    public var batchSize = 128
    public var microBatchSize = 8
    public var weightDecay: Float = 0
    /// Clip the global gradient norm to this (nil: no clipping).
    public var clipNorm: Float? = 1
    public var seed: UInt64 = 42

    public init() {}
}

/// What one optimizer step did.
public struct StepLog: Sendable {
    public let step: Int
    public let totalSteps: Int
    public let loss: Double
    public let learningRate: Float
    public let gradientNorm: Double
    /// Tokens the loss counted so far in this run (with outputs only, the outputs' tokens).
    public let tokens: Int
    /// Tokens the model ran through so far in this run, prompts included: what throughput counts.
    public let processedTokens: Int
    public let seconds: Double
}

/// Training failures.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case noData
    case batchNotMultiple(batch: Int, microBatch: Int)
    case nonFiniteLoss(step: Int)
    /// The loss was finite but the optimizer step would have made `parameter` (or its moments) NaN or infinite.
    case nonFiniteUpdate(step: Int, parameter: String)
    /// A parameter about to be saved is NaN or infinite (it was loaded so).
    case nonFiniteParameter(parameter: String)
    case microBatchTooLarge(microBatch: Int, capacity: Int)

    public var description: String {
        switch self {
        case .noData: "there is nothing to train on"
        case let .batchNotMultiple(batch, microBatch): "the batch size \(batch) is not a multiple of the micro-batch size \(microBatch)"
        case let .nonFiniteLoss(step): "the loss became NaN or infinite at step \(step); training stopped"
        case let .nonFiniteUpdate(step, parameter):
            "the update of step \(step) would make \(parameter) NaN or infinite (learning rate too large?); training stopped"
        case let .nonFiniteParameter(parameter): "\(parameter) holds NaN or infinity; it is not saved"
        case let .microBatchTooLarge(microBatch, capacity): "a micro-batch of \(microBatch) sequences does not fit the model built for \(capacity)"
        }
    }
}

/// AdamW with linear warm-up and linear decay, gradient accumulation over micro-batches and
/// global-norm clipping, over the adapter (fine-tuning) or the base (pretraining, when the
/// model's `trainBase` is set). Deterministic for a seed and thread count.
public final class Trainer {
    public let model: LlamaModel
    public let options: TrainingOptions
    let sequences: [TrainingSequence]
    let optimizer: AdamW
    let parameters: ParameterSet
    public private(set) var step = 0
    /// Where the data stands: the epoch and the sequences of it not yet used.
    public private(set) var epoch = 0
    public private(set) var queue: [Int] = []

    public init(model: LlamaModel, sequences: [TrainingSequence], options: TrainingOptions) throws {
        guard !sequences.isEmpty else { throw TrainingError.noData }
        guard options.batchSize % options.microBatchSize == 0 else {
            throw TrainingError.batchNotMultiple(batch: options.batchSize, microBatch: options.microBatchSize)
        }
        guard options.microBatchSize <= model.batch else {
            throw TrainingError.microBatchTooLarge(microBatch: options.microBatchSize, capacity: model.batch)
        }
        self.model = model
        self.options = options
        self.sequences = sequences
        parameters = model.trainBase ? model.base : model.adapter
        optimizer = AdamW(parameters: parameters, learningRate: options.learningRate, weightDecay: options.weightDecay)
        queue = order(epoch: 0)
    }

    /// Everything needed to continue this run exactly (with the parameters, saved separately).
    public var state: TrainingState {
        let moments = optimizer.state
        return TrainingState(step: step, epoch: epoch, queue: queue, optimizerStep: moments.step, firstMoment: moments.first,
                             secondMoment: moments.second, randomStates: model.randomStates,
                             parameterChecksum: TrainingState.checksum(UnsafeBufferPointer(start: parameters.values.pointer, count: parameters.count)))
    }

    /// Continues from `state`; the parameters must already be the ones saved with it.
    ///
    /// Every field is checked against this run before anything is changed: the step within the
    /// run and equal to the optimizer's, the data position (sequence indices of this data), one
    /// moment per parameter (finite, the second non-negative), one generator state per lane.
    ///
    /// - Throws: `TrainingStateError` naming the field, `.parametersDoNotMatch` when the
    ///   parameters are not the ones saved with the state.
    public func restore(_ state: TrainingState, path: String) throws {
        guard TrainingState.checksum(UnsafeBufferPointer(start: parameters.values.pointer, count: parameters.count)) == state.parameterChecksum else {
            throw TrainingStateError.parametersDoNotMatch(path: path)
        }
        guard state.step >= 0, state.step <= totalSteps else {
            throw TrainingStateError.stepOutOfRange(path: path, step: state.step, totalSteps: totalSteps)
        }
        guard state.optimizerStep == state.step else {
            throw TrainingStateError.optimizerStepDiffers(path: path, optimizerStep: state.optimizerStep, step: state.step)
        }
        guard state.epoch >= 0 else { throw TrainingStateError.negativeEpoch(path: path, epoch: state.epoch) }
        // After any step the queue holds what is left of the current pass, at most one pass.
        guard state.queue.count <= sequences.count else {
            throw TrainingStateError.queueTooLong(path: path, count: state.queue.count, sequences: sequences.count)
        }
        if let position = state.queue.firstIndex(where: { !sequences.indices.contains($0) }) {
            throw TrainingStateError.queueEntryOutOfRange(path: path, position: position, entry: state.queue[position], sequences: sequences.count)
        }
        for (name, moment) in [(TrainingState.firstMomentName, state.firstMoment), (TrainingState.secondMomentName, state.secondMoment)] {
            guard moment.count == parameters.count else {
                throw TrainingStateError.momentSize(path: path, moment: name, count: moment.count, expected: parameters.count)
            }
            let second = name == TrainingState.secondMomentName
            if let index = moment.firstIndex(where: { !$0.isFinite || (second && $0 < 0) }) {
                throw TrainingStateError.invalidMoment(path: path, moment: name, index: index, value: moment[index])
            }
        }
        let lanes = model.randomStates.count
        guard state.randomStates.count == lanes else {
            throw TrainingStateError.generatorCount(path: path, count: state.randomStates.count, expected: lanes)
        }
        step = state.step
        epoch = state.epoch
        queue = state.queue
        optimizer.restore(step: state.optimizerStep, first: state.firstMoment, second: state.secondMoment)
        model.randomStates = state.randomStates
    }

    /// Refuses parameters that hold NaN or infinity (call before saving them).
    ///
    /// - Throws: `TrainingError.nonFiniteParameter` naming the first such tensor.
    public func requireFiniteParameters() throws {
        let values = parameters.values.pointer
        if let index = (0..<parameters.count).first(where: { !values[$0].isFinite }) {
            throw TrainingError.nonFiniteParameter(parameter: parameterName(containing: index))
        }
    }

    /// The name of the parameter block holding element `index` of the parameter buffer.
    func parameterName(containing index: Int) -> String {
        for name in parameters.names {
            let view = parameters.view(name)
            // Blocks are contiguous; per-expert views (strided) are left to their block.
            if view.rowStride == view.columns, index >= view.offset, index < view.offset + view.count { return name }
        }
        return "parameter \(index)"
    }

    /// Optimizer steps the run takes.
    public var totalSteps: Int {
        options.steps ?? max(1, options.epochs * ((sequences.count + options.batchSize - 1) / options.batchSize))
    }

    /// The learning rate at `step` (0-based): linear warm-up to the peak, then linear decay to 0.
    public func learningRate(at step: Int) -> Float {
        let warmup = options.warmupSteps ?? min(100, totalSteps / 10)
        if step < warmup { return options.learningRate * Float(step + 1) / Float(warmup) }
        let remaining = max(totalSteps - warmup, 1)
        return options.learningRate * max(0, Float(totalSteps - step) / Float(remaining))
    }

    /// The sequence order: every epoch a fresh deterministic shuffle.
    func order(epoch: Int) -> [Int] {
        var random = SplitMix(seed: options.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        return Array(sequences.indices).shuffled(using: &random)
    }

    /// Runs every remaining step, calling `log` after each and `save` every `saveEvery` steps
    /// (not after the last: the caller saves the result).
    ///
    /// - Throws: `TrainingError.nonFiniteLoss`, `.nonFiniteUpdate` (the parameters, the moments
    ///   and the step stay as they were before that step).
    public func run(saveEvery: Int? = nil, save: (() throws -> Void)? = nil, log: (StepLog) throws -> Void) throws {
        let start = Date()
        let accumulation = options.batchSize / options.microBatchSize
        var tokens = 0, processed = 0
        while step < totalSteps {
            model.zeroGradients()
            var loss = 0.0
            for _ in 0..<accumulation {
                // A data set smaller than a micro-batch takes several passes to fill one.
                while queue.count < options.microBatchSize {
                    epoch += 1
                    queue += order(epoch: epoch)
                }
                let batch = queue.prefix(options.microBatchSize).map { sequences[$0] }
                queue.removeFirst(options.microBatchSize)
                let result = try model.forward(tokens: batch.flatMap(\.tokens), targets: batch.flatMap(\.targets), training: true)
                model.backward()
                loss += result.loss / Double(accumulation)
                tokens += batch.reduce(0) { $0 + $1.targets.filter { $0 >= 0 }.count }
                processed += batch.reduce(0) { $0 + $1.tokens.count }
            }
            guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: step + 1) }
            // Mean over micro-batches, then clip the global norm.
            let gradients = parameters.gradients.pointer
            var squared = 0.0
            for i in 0..<parameters.count {
                gradients[i] /= Float(accumulation)
                squared += Double(gradients[i]) * Double(gradients[i])
            }
            let norm = squared.squareRoot()
            if let clip = options.clipNorm, norm > Double(clip) {
                let factor = Float(Double(clip) / norm)
                for i in 0..<parameters.count { gradients[i] *= factor }
            }
            optimizer.learningRate = learningRate(at: step)
            if let index = optimizer.update() {
                throw TrainingError.nonFiniteUpdate(step: step + 1, parameter: parameterName(containing: index))
            }
            step += 1
            try log(StepLog(step: step, totalSteps: totalSteps, loss: loss, learningRate: optimizer.learningRate,
                            gradientNorm: norm, tokens: tokens, processedTokens: processed,
                            seconds: Date().timeIntervalSince(start)))
            if let saveEvery, let save, step % saveEvery == 0, step < totalSteps { try save() }
        }
    }
}
