import Foundation
import MoLACheckpoint
import MoLAModel
import MoLAText
import MoLATrain

/// `mola-inspect train`: pretrain a small base, or fine-tune MoLA adapters on a base.
enum TrainCommand {
    static let out = OptionSpec(name: "--out", valueName: "DIR", help: "where the checkpoint goes (required)")
    static let overwrite = OptionSpec(name: "--overwrite", valueName: nil, help: "replace a checkpoint already in --out")
    static let pretrain = OptionSpec(name: "--pretrain", valueName: nil, help: "train a new base from scratch (all weights)")
    static let base = OptionSpec(name: "--base", valueName: "DIR", help: "fine-tune MoLA adapters on this base (frozen)")
    static let layers = OptionSpec(name: "--layers", valueName: "N", help: "pretraining: decoder layers (default 4)")
    static let hidden = OptionSpec(name: "--hidden", valueName: "N", help: "pretraining: hidden size (default 128)")
    static let heads = OptionSpec(name: "--heads", valueName: "N", help: "pretraining: attention heads (default 4)")
    static let kvHeads = OptionSpec(name: "--kv-heads", valueName: "N", help: "pretraining: key/value heads (default: --heads)")
    static let mlp = OptionSpec(name: "--mlp", valueName: "N", help: "pretraining: MLP width (default 344)")
    static let vocabulary = OptionSpec(name: "--vocab", valueName: "N", help: "pretraining: vocabulary size, at least the 259 byte-level ids (default 259)")
    static let allocation = OptionSpec(name: "--allocation", valueName: "DIGITS|LIST", help: "experts per layer: paper digits (2468, 8642, 8228, 5555, 8888) or a list 2,2,4,4")
    static let projections = OptionSpec(name: "--projections", valueName: "SET", help: "adapted projections: all (default), attention, mlp or a list")
    static let rank = OptionSpec(name: "--rank", valueName: "R", help: "LoRA rank of every expert (default 8)")
    static let alpha = OptionSpec(name: "--alpha", valueName: "A", help: "LoRA alpha (default 16)")
    static let topK = OptionSpec(name: "--top-k", valueName: "K", help: "experts chosen per token (default 2)")
    static let balance = OptionSpec(name: "--balance-loss", valueName: "COEFFICIENT", help: "add the load-balancing loss with this coefficient (reference: 0.001)")
    static let dropout = OptionSpec(name: "--dropout", valueName: "P", help: "dropout on the adapter input (default 0.05)")
    static let data = OptionSpec(name: "--data", valueName: "FILE", help: "text, or JSON/JSONL in the reference layout")
    static let tasks = OptionSpec(name: "--tasks", valueName: "N", help: "train on N generated examples per synthetic domain instead of --data")
    static let outputsOnly = OptionSpec(name: "--train-on-outputs-only", valueName: nil, help: "compute the loss on the outputs only (default: whole sequence)")
    static let epochs = OptionSpec(name: "--epochs", valueName: "N", help: "passes over the data (default 1)")
    static let steps = OptionSpec(name: "--steps", valueName: "N", help: "optimizer steps instead of --epochs")
    static let learningRate = OptionSpec(name: "--lr", valueName: "RATE", help: "peak learning rate (default 3e-4)")
    static let warmup = OptionSpec(name: "--warmup", valueName: "N", help: "warm-up steps (default 100, at most a tenth of the run)")
    static let weightDecay = OptionSpec(name: "--weight-decay", valueName: "W", help: "AdamW's decoupled weight decay (default 0, as the reference)")
    static let batch = OptionSpec(name: "--batch", valueName: "N", help: "sequences per optimizer step (default 128)")
    static let microBatch = OptionSpec(name: "--micro-batch", valueName: "N", help: "sequences per forward pass (default 8)")
    static let cutoff = OptionSpec(name: "--cutoff", valueName: "N", help: "tokens per sequence; longer ones are truncated (default 256)")
    static let seed = OptionSpec(name: "--seed", valueName: "N", help: "random seed (default 42)")
    static let format = OptionSpec(name: "--format", valueName: "safetensors|bin", help: "adapter file format (default safetensors)")
    static let saveEvery = OptionSpec(name: "--save-every", valueName: "N", help: "also save the checkpoint and the training state every N steps")
    static let resume = OptionSpec(name: "--resume", valueName: nil, help: "continue the run saved in --out (same options), exactly where it stopped")
    static let options = [out, overwrite, pretrain, base, layers, hidden, heads, kvHeads, mlp, vocabulary, allocation, projections, rank, alpha,
                          topK, balance, dropout, data, tasks, outputsOnly, epochs, steps, learningRate, warmup, weightDecay, batch, microBatch,
                          cutoff, seed, format, saveEvery, resume, SharedOptions.json, SharedOptions.threads]

    static let help = helpText(
        usage: "mola-inspect train (--pretrain | --base DIR --allocation DIGITS) (--data FILE | --tasks N) --out DIR [options]",
        summary: "Trains with the reference recipe (AdamW, warm-up then linear decay, gradient accumulation, clipping at 1) on text tokenised byte by byte. --pretrain makes a small base (Hugging Face directory); --base fine-tunes MoLA adapters on one (frozen) and writes them as the reference does, with a mola_config.json sidecar.",
        options: options)

    @Sendable static func run(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options)
        if arguments.wantsHelp { return print(help) }
        guard arguments.positionals.isEmpty else { throw UsageError("unexpected argument \"\(arguments.positionals[0])\"") }
        guard let outPath = arguments.value(out.name) else { throw UsageError("missing --out DIR") }
        let isPretraining = arguments.flag(pretrain.name)
        let basePath = arguments.value(base.name)
        guard isPretraining != (basePath != nil) else { throw UsageError("give one of --pretrain and --base DIR") }
        guard (arguments.value(data.name) == nil) != (arguments.value(tasks.name) == nil) else {
            throw UsageError("give one of --data FILE and --tasks N")
        }
        let resuming = arguments.flag(resume.name)
        if !resuming { try refuseExistingCheckpoint(outPath, overwrite: arguments.flag(overwrite.name)) }
        var training = TrainingOptions()
        let peakRate = try number(arguments, learningRate) ?? 3e-4
        training.learningRate = Float(peakRate)
        training.weightDecay = Float(try number(arguments, weightDecay) ?? 0)
        training.steps = try arguments.integer(steps.name, in: 1...10_000_000)
        training.epochs = try arguments.integer(epochs.name, in: 1...100_000) ?? 1
        training.batchSize = try arguments.integer(batch.name, in: 1...100_000) ?? 128
        training.microBatchSize = try arguments.integer(microBatch.name, in: 1...4096) ?? min(8, training.batchSize)
        training.seed = UInt64(try arguments.integer(seed.name, in: 0...Int.max) ?? 42)
        let sequenceLength = try arguments.integer(cutoff.name, in: 2...65_536) ?? 256
        let threads = try SharedOptions.threadCount(arguments)
        guard training.batchSize % training.microBatchSize == 0 else {
            throw UsageError("--batch \(training.batchSize) is not a multiple of --micro-batch \(training.microBatchSize)")
        }

        let fileFormat: AdapterFileFormat
        switch arguments.value(format.name) ?? "safetensors" {
        case "safetensors": fileFormat = .safetensors
        case "bin": fileFormat = .bin
        case let other: throw UsageError("--format \"\(other)\" is neither safetensors nor bin")
        }
        let (sequences, truncated) = try trainingSequences(arguments, cutoff: sequenceLength, seed: training.seed)
        let model = try makeModel(arguments, pretraining: isPretraining, basePath: basePath, outPath: outPath, resuming: resuming,
                                  microBatch: training.microBatchSize, length: sequenceLength, threads: threads, seed: training.seed)
        training.warmupSteps = try arguments.integer(warmup.name, in: 0...10_000_000)
        let run = try Trainer(model: model, sequences: sequences, options: training)
        let fingerprint = Self.fingerprint(arguments, threads: threads)
        if resuming {
            let state = try TrainingState.load(from: outPath, fingerprint: fingerprint)
            try run.restore(state, path: outPath)
            FileHandle.standardError.write(Data("resuming at step \(state.step) of \(run.totalSteps)\n".utf8))
        }
        let save = {
            if isPretraining {
                try model.saveBase(to: outPath)
                try TokenizerConfig.byteTokenizer.write(directory: outPath)
            } else {
                try model.saveAdapter(to: outPath, format: fileFormat, baseModel: basePath!,
                                      training: MoLASidecar.Training(steps: run.totalSteps, step: run.step, learningRate: peakRate,
                                                                     batch: training.batchSize, microBatch: training.microBatchSize,
                                                                     cutoff: sequenceLength, seed: training.seed))
            }
            // The state last: it names (by checksum) the parameters just written.
            try run.state.save(to: outPath, fingerprint: fingerprint)
        }
        if truncated > 0 { warn("\(truncated) of \(sequences.count) sequences were longer than --cutoff \(sequenceLength) and were truncated") }
        let json = arguments.flag(SharedOptions.json.name)
        let progress = ProgressBar(label: "training", unit: "steps")
        do {
            try run.run(saveEvery: try arguments.integer(saveEvery.name, in: 1...Int.max), save: save) { log in
                progress.update(done: log.step, total: log.totalSteps, detail: "\(Int(Double(log.tokens) / max(log.seconds, 1e-9))) tokens/s")
                let line = json
                    ? "{\"step\": \(log.step), \"steps\": \(log.totalSteps), \"loss\": \(log.loss), \"learning_rate\": \(log.learningRate), \"gradient_norm\": \(log.gradientNorm), \"tokens\": \(log.tokens), \"seconds\": \(log.seconds)}"
                    : String(format: "step %d/%d  loss %.4f  lr %.2e  grad norm %.3f  %.0f tokens/s", log.step, log.totalSteps, log.loss,
                             log.learningRate, log.gradientNorm, Double(log.tokens) / max(log.seconds, 1e-9))
                // Every step, unbuffered, so a watcher sees each step as it ends.
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        } catch let error as TrainingError {
            progress.finish()
            let kept = arguments.value(saveEvery.name) == nil ? "nothing was written" : "the last checkpoint saved before it is kept"
            throw CommandError.failed("\(error); \(kept) (\(outPath))")
        }
        progress.finish()
        try save()
        FileHandle.standardError.write(Data("wrote \(outPath)\n".utf8))
    }

    /// The model to train: a new (or resumed) base, or a base with new (or resumed) adapters.
    private static func makeModel(_ arguments: ParsedArguments, pretraining: Bool, basePath: String?, outPath: String, resuming: Bool,
                                  microBatch: Int, length: Int, threads: Int, seed: UInt64) throws -> LlamaModel {
        if pretraining {
            let heads = try arguments.integer(TrainCommand.heads.name, in: 1...1024) ?? 4
            let config = ModelConfig(vocabularySize: try arguments.integer(vocabulary.name, in: ByteTokenizer.minimumVocabulary...1_000_000)
                                         ?? ByteTokenizer.minimumVocabulary,
                                     hiddenSize: try arguments.integer(hidden.name, in: 2...65_536) ?? 128,
                                     intermediateSize: try arguments.integer(mlp.name, in: 1...262_144) ?? 344,
                                     layerCount: try arguments.integer(layers.name, in: 1...1024) ?? 4, headCount: heads,
                                     keyValueHeadCount: try arguments.integer(kvHeads.name, in: 1...1024) ?? heads)
            let model = try LlamaModel(config: config, adapter: nil, batch: microBatch, time: length, threadCount: threads, seed: seed)
            model.trainBase = true
            if resuming {
                try model.loadBase(safetensors: URL(fileURLWithPath: outPath).appendingPathComponent("model.safetensors").path)
            } else {
                model.initialiseBase(seed: seed)
            }
            return model
        }
        let base = basePath!
        let configPath = URL(fileURLWithPath: base).appendingPathComponent("config.json").path
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ModelError.invalidConfig("no config.json: \(base) is not a Hugging Face model directory")
        }
        let config = try ModelConfig(huggingFaceConfig: configPath)
        guard try TokenizerConfig.load(directory: base)?.tokenizerClass == ByteTokenizer.className else {
            throw CommandError.failed("the base does not use the byte-level tokenizer this trainer tokenises with (\(base))")
        }
        let model = try LlamaModel(config: config, adapter: try adapterSpec(arguments, layerCount: config.layerCount),
                                   batch: microBatch, time: length, threadCount: threads, seed: seed)
        try model.loadBase(safetensors: URL(fileURLWithPath: base).appendingPathComponent("model.safetensors").path)
        if resuming {
            try model.loadAdapter(Checkpoint(path: outPath).adapter)
        } else {
            model.initialiseAdapter(seed: seed)
        }
        return model
    }

    /// Everything that must be the same for a resumed run to continue the saved one exactly:
    /// the options that shape the run, and the thread count (the lanes split batches by it).
    private static func fingerprint(_ arguments: ParsedArguments, threads: Int) -> String {
        let ignored: Set<String> = [resume.name, overwrite.name, saveEvery.name, SharedOptions.json.name, SharedOptions.threads.name]
        return (arguments.values.filter { !ignored.contains($0.key) }.map { "\($0.key)=\($0.value)" }
            + arguments.flags.filter { !ignored.contains($0) }).sorted().joined(separator: " ") + " threads=\(threads)"
    }

    private static func number(_ arguments: ParsedArguments, _ option: OptionSpec) throws -> Double? {
        guard let text = arguments.value(option.name) else { return nil }
        guard let value = Double(text), value.isFinite, value >= 0 else { throw UsageError("\(option.name) expects a non-negative number, got \"\(text)\"") }
        return value
    }

    /// Refuses to write into a directory that already holds a checkpoint, unless asked.
    private static func refuseExistingCheckpoint(_ path: String, overwrite: Bool) throws {
        let names = Checkpoint.tensorFileNames + ["config.json", Checkpoint.configFileName]
        let existing = names.filter { FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent($0).path) }
        if !existing.isEmpty && !overwrite {
            throw CommandError.failed("\(path) already holds a checkpoint (\(existing.joined(separator: ", "))); pass --overwrite to replace it")
        }
    }

    /// The adapter to train from --allocation, --projections, --rank, --alpha, --top-k, --balance-loss, --dropout.
    static func adapterSpec(_ arguments: ParsedArguments, layerCount: Int) throws -> AdapterSpec {
        guard let text = arguments.value(allocation.name) else { throw UsageError("missing --allocation (e.g. 2468 or 2,2,4,4)") }
        let experts = try parseAllocation(text, layerCount: layerCount)
        let kinds = try RedundancyCommand.projectionSet(arguments.value(projections.name) ?? "all").kinds
        let k = try arguments.integer(topK.name, in: 1...64) ?? 2
        if let layer = experts.firstIndex(where: { $0 < k }), experts[layer] > 1 {
            throw UsageError("--top-k \(k) exceeds the \(experts[layer]) experts of layer \(layer)")
        }
        var spec = AdapterSpec(projections: kinds, expertsPerLayer: experts, rank: try arguments.integer(rank.name, in: 1...4096) ?? 8,
                               alpha: try number(arguments, alpha) ?? 16, topK: k,
                               dropout: try number(arguments, dropout) ?? 0.05)
        if let coefficient = try number(arguments, balance) { spec.balanceCoefficient = coefficient }
        return spec
    }

    /// `2468` (the paper's digits over equal groups of layers) or `2,2,4,4` (one per layer).
    static func parseAllocation(_ text: String, layerCount: Int) throws -> [Int] {
        if text.contains(",") {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ ($0 ?? 0) >= 1 }) else { throw UsageError("--allocation \"\(text)\" is not a list of positive integers") }
            guard parts.count == layerCount else {
                throw UsageError("--allocation lists \(parts.count) layers but the base has \(layerCount)")
            }
            return parts.map { $0! }
        }
        let digits = text.compactMap { $0.wholeNumberValue }
        guard !text.isEmpty, digits.count == text.count, digits.allSatisfy({ $0 >= 1 }), digits.count <= layerCount else {
            throw UsageError("--allocation \"\(text)\" is neither the paper's digits (1-9, at most one per layer, e.g. 2468) nor a list like 2,2,4,4")
        }
        return Allocation(digits: digits, layerCount: layerCount).expertsPerLayer
    }

    /// Sequences from --data or --tasks, tokenised byte by byte.
    private static func trainingSequences(_ arguments: ParsedArguments, cutoff: Int, seed: UInt64) throws -> ([TrainingSequence], Int) {
        var examples: [(prompt: String, output: String)] = []
        if let count = try arguments.integer(tasks.name, in: 1...1_000_000) {
            examples = SyntheticTasks.generate(count: count, seed: seed).map {
                (PromptTemplate.alpaca(instruction: $0.instruction, input: $0.input, output: ""), $0.output)
            }
        } else {
            examples = try TextDataset.loadRecords(path: arguments.value(data.name)!)
        }
        let result = TrainingData.sequences(examples, outputsOnly: arguments.flag(outputsOnly.name), cutoff: cutoff)
        return (result.sequences, result.truncated)
    }
}
