import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLAText
import MoLATrain

/// `mola-inspect train`: pretrain a small base, or fine-tune MoLA adapters on a base.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "train", summary: "pretrain a small base or fine-tune MoLA adapters on one",
        usage: "mola-inspect train (--pretrain | --base BASE --allocation DIGITS) (--data FILE | --tasks N) --out DIR [options]",
        abstract: "Trains with the reference recipe (AdamW, warm-up then linear decay, gradient accumulation, clipping at 1) on text tokenised byte by byte. --pretrain makes a small base (Hugging Face directory); --base fine-tunes MoLA adapters on one (frozen) and writes them as the reference does, with a mola_config.json sidecar.")

    @Option(name: "--out", valueName: "DIR", help: "where the checkpoint goes") var out: FilePath
    @Flag(name: "--overwrite", help: "replace a checkpoint already in --out") var overwrite: Bool
    @Flag(name: "--pretrain", help: "train a new base from scratch (all weights)") var pretrain: Bool
    @Option(name: "--base", valueName: "BASE", help: "fine-tune MoLA adapters on this base (frozen): a GGUF file or a Hugging Face LLaMA directory") var base: FilePath?
    @Option(name: "--layers", help: "pretraining: decoder layers", in: 1...1024) var layers = 4
    @Option(name: "--hidden", help: "pretraining: hidden size", in: 2...65_536) var hidden = 128
    @Option(name: "--heads", help: "pretraining: attention heads", in: 1...1024) var heads = 4
    @Option(name: "--kv-heads", help: "pretraining: key/value heads, by default --heads", in: 1...1024) var keyValueHeads: Int?
    @Option(name: "--mlp", help: "pretraining: MLP width", in: 1...262_144) var mlp = 344
    @Option(name: "--vocab", help: "pretraining: vocabulary size, at least the \(ByteTokenizer.minimumVocabulary) byte-level ids",
            in: ByteTokenizer.minimumVocabulary...1_000_000) var vocabulary = ByteTokenizer.minimumVocabulary
    @OptionGroup var adapter: AdapterSpecOptions
    @Option(name: "--data", valueName: "FILE", help: "text, or JSON/JSONL in the reference layout") var data: FilePath?
    @Option(name: "--tasks", help: "train on N generated examples per synthetic domain instead of --data", in: 1...100_000) var tasks: Int?
    @OptionGroup var taskOptions: SyntheticTaskOptions
    @Flag(name: "--train-on-outputs-only", help: "compute the loss on the outputs only (default: whole sequence)") var outputsOnly: Bool
    @OptionGroup var optimizer: OptimizerOptions
    @Option(name: "--format", help: "adapter file format") var format = AdapterFormatChoice.safetensors
    @Option(name: "--save-every", help: "also save the checkpoint and the training state every N steps", in: 1...) var saveEvery: Int?
    @Flag(name: "--resume", help: "continue the run saved in --out (same options), exactly where it stopped") var resume: Bool
    @Flag(name: "--json", help: "log each step as one JSON object") var json: Bool
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard pretrain != (base != nil) else { throw UsageError("give one of --pretrain and --base BASE") }
        guard (data == nil) != (tasks == nil) else { throw UsageError("give one of --data FILE and --tasks N") }
        try taskOptions.validate(tasks: tasks)
        if base != nil, adapter.allocation == nil { throw UsageError("missing --allocation (e.g. 2468 or 2,2,4,4)") }
        if pretrain {
            // The sizes must fit together (--hidden a multiple of --heads, ...) before any data is read.
            do {
                try pretrainingConfig.validate()
            } catch let ModelError.invalidConfig(reason) {
                // The rule is ModelConfig's; its words are config.json's, the user typed options.
                let options = [("hidden_size", "--hidden"), ("num_attention_heads", "--heads"), ("num_key_value_heads", "--kv-heads"),
                               ("intermediate_size", "--mlp"), ("vocab_size", "--vocab"), ("num_hidden_layers", "--layers")]
                throw UsageError("the sizes do not fit together: " + options.reduce(reason) { $0.replacingOccurrences(of: $1.0, with: $1.1) })
            }
        }
    }

    /// The base --pretrain builds.
    var pretrainingConfig: ModelConfig {
        ModelConfig(vocabularySize: vocabulary, hiddenSize: hidden, intermediateSize: mlp, layerCount: layers,
                    headCount: heads, keyValueHeadCount: keyValueHeads ?? heads)
    }

    func run() throws {
        let outPath = out.path
        let isPretraining = pretrain
        let basePath = base?.path
        let resuming = resume
        try OutputSafety.check(directory: outPath, option: "--out", writing: Self.writtenFileNames,
                               inputs: [.base(basePath), .file(data?.path)])
        if !resuming { try refuseExistingCheckpoint(outPath, overwrite: overwrite) }
        let training = optimizer.trainingOptions
        let peakRate = optimizer.learningRate
        let sequenceLength = optimizer.cutoff
        let threads = self.threads.count
        let fileFormat = format.fileFormat
        // Fine-tunes tokenise with the base's own tokenizer; a new base is byte-level.
        let baseSource = try basePath.map { try OpenedBase(path: $0) }
        let (sequences, truncated) = try trainingSequences(cutoff: sequenceLength, seed: training.seed,
                                                           tokenizer: try baseSource?.tokenizer() ?? .bytes)
        if let baseSource { try baseSource.checkFits(sequenceLength, what: "--cutoff") }
        let model = try makeModel(pretraining: isPretraining, base: baseSource, outPath: outPath, resuming: resuming,
                                  microBatch: training.microBatchSize, length: sequenceLength, threads: threads, seed: training.seed)
        let run = try Trainer(model: model, sequences: sequences, options: training)
        let fingerprint = self.fingerprint(threads: threads)
        // What --out holds, for the message if training stops: the step of the checkpoint there.
        var keptStep: Int?
        if resuming {
            let state = try TrainingState.load(from: outPath, fingerprint: fingerprint)
            try run.restore(state, path: outPath)
            keptStep = state.step
            StandardStream.error.writeDiagnostic("resuming at step \(state.step) of \(run.totalSteps)\n")
        }
        let save = {
            // Never a checkpoint holding NaN or infinity: the one already there stays.
            try run.requireFiniteParameters()
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
            keptStep = run.step
        }
        if truncated > 0 { warn("\(truncated) of \(sequences.count) sequences were longer than --cutoff \(sequenceLength) and were truncated") }
        let progress = ProgressBar(label: "training", unit: "steps")
        do {
            try run.run(saveEvery: saveEvery, save: save) { log in
                let rate = Double(log.processedTokens) / max(log.seconds, 1e-9)
                progress.update(done: log.step, total: log.totalSteps, detail: "\(Int(rate)) tokens/s")
                // Through JSONValue, so a non-finite loss is null, not a bare `nan`.
                let line = json
                    ? JSONValue.object([("step", .integer(log.step)), ("steps", .integer(log.totalSteps)), ("loss", .number(log.loss)),
                                        ("learning_rate", .float(log.learningRate)), ("gradient_norm", .number(log.gradientNorm)),
                                        ("tokens", .integer(log.tokens)), ("processed_tokens", .integer(log.processedTokens)),
                                        ("seconds", .number(log.seconds))]).renderedOnOneLine()
                    : String(format: "step %d/%d  loss %.4f  lr %.2e  grad norm %.3f  %.0f tokens/s", log.step, log.totalSteps, log.loss,
                             log.learningRate, log.gradientNorm, rate)
                // Every step, unbuffered, so a watcher sees each step as it ends; a full disk is an error.
                try StandardStream.output.write(line + "\n")
            }
            progress.finish()
            try save()
        } catch let error as TrainingError {
            progress.finish()
            // Only what is on disk: the checkpoint this run saved last or resumed from, else nothing of this run.
            let kept = keptStep.map { "the checkpoint of step \($0) in --out is kept" }
                ?? "nothing was written" + (overwrite ? ", and what --out held before is left as it was" : "")
            throw CommandError.failed("\(error); \(kept) (\(outPath))")
        }
        StandardStream.error.writeDiagnostic("wrote \(TerminalText.escaped(outPath))\n")
    }

    /// The model to train: a new (or resumed) base, or a base with new (or resumed) adapters.
    private func makeModel(pretraining: Bool, base: OpenedBase?, outPath: String, resuming: Bool,
                                  microBatch: Int, length: Int, threads: Int, seed: UInt64) throws -> LlamaModel {
        if pretraining {
            let config = pretrainingConfig
            let model = try LlamaModel(config: config, adapter: nil, batch: microBatch, time: length, threadCount: threads, seed: seed)
            model.trainBase = true
            if resuming {
                try model.loadBase(directory: outPath)
            } else {
                model.initialiseBase(seed: seed)
            }
            return model
        }
        let base = base!
        let model = try base.model(adapter: try adapter.spec(layerCount: base.config.layerCount),
                                   batch: microBatch, length: length, threads: threads, seed: seed)
        if resuming {
            try model.loadAdapter(Checkpoint(path: outPath).adapter)
        } else {
            model.initialiseAdapter(seed: seed)
        }
        return model
    }

    /// Everything that must be the same for a resumed run to continue the saved one exactly:
    /// the options that shape the run as parsed (so `--lr 3e-4` and `--lr 0.0003` are one run,
    /// and a default given explicitly is the default), and the thread count (the lanes split
    /// batches by it).
    func fingerprint(threads: Int) -> String {
        let ignored: Set<String> = ["--resume", "--overwrite", "--save-every", "--json", "--threads"]
        return parsedOptionValues.filter { !ignored.contains($0.name) }.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: " ")
            + " threads=\(threads)"
    }

    /// Every file a run may write into `--out` (a base, an adapter in either format, the
    /// training state), for `OutputSafety`.
    static let writtenFileNames = ["model.safetensors", "config.json", TokenizerConfig.fileName,
                                   "adapter_model.safetensors", "adapter_model.bin", Checkpoint.configFileName,
                                   Checkpoint.sidecarFileName, TrainingState.jsonName, TrainingState.momentsName]

    /// Refuses to write into a directory that already holds a checkpoint, unless asked.
    private func refuseExistingCheckpoint(_ path: String, overwrite: Bool) throws {
        let names = Checkpoint.tensorFileNames + ["config.json", Checkpoint.configFileName]
        let existing = names.filter { FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent($0).path) }
        if !existing.isEmpty && !overwrite {
            throw CommandError.failed("\(path) already holds a checkpoint (\(existing.joined(separator: ", "))); pass --overwrite to replace it")
        }
    }

    /// Sequences from --data or --tasks, tokenised by `tokenizer`.
    private func trainingSequences(cutoff: Int, seed: UInt64, tokenizer: BaseTokenizer) throws -> ([TrainingSequence], Int) {
        var examples: [(prompt: String, output: String)] = []
        if let count = tasks {
            try TrainingData.memoryRequirement(count: count * taskOptions.chosenDomains.count, cutoff: cutoff)
                .require(for: "the training sequences", source: "--tasks \(count) --cutoff \(cutoff)")
            examples = taskOptions.generate(count: count, seed: seed).map { ($0.prompt, $0.output) }
        } else {
            examples = try TextDataset.loadRecords(path: data!.path)
            try TrainingData.memoryRequirement(count: examples.count, cutoff: cutoff)
                .require(for: "the \(examples.count) training sequences", source: "--cutoff \(cutoff)")
        }
        let result = TrainingData.sequences(examples, outputsOnly: outputsOnly, cutoff: cutoff, tokenizer: tokenizer)
        return (result.sequences, result.truncated)
    }
}

/// `--format`: the adapter file to write.
enum AdapterFormatChoice: String, CaseIterable, ExpressibleByArgument {
    case safetensors, bin

    var fileFormat: AdapterFileFormat {
        switch self {
        case .safetensors: .safetensors
        case .bin: .bin
        }
    }
}
