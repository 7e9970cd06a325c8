import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLAText
import MoLATrain

/// `mola-inspect continual`: one adapter trained on domains in sequence, every domain scored after each.
struct ContinualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "continual", summary: "train one adapter on domains in sequence and measure forgetting (the paper's Table 3)",
        usage: "mola-inspect continual --base BASE --allocation DIGITS --domains D1,D2,... --out DIR [options]",
        abstract: "Fine-tunes one MoLA adapter on each domain in turn (the adapter carried over, AdamW's moments and the learning-rate schedule started afresh for every domain, as the reference's resume does; --steps and --epochs count per domain), scores every domain after each with greedy generation (as eval does), and reports the accuracy matrix R (R[t][i]: accuracy on domain i after training through domain t), the overall performance OP (mean of R's last row) and the backward transfer BWT (mean over i < T of R[T][i] - R[i][i]; negative is forgetting). --out receives the adapter after each domain (1-NAME, 2-NAME, ...) and continual.json, all at the end: a run that fails writes nothing.")

    @Option(name: "--base", valueName: "BASE", help: "the base to fine-tune (frozen): a GGUF file or a Hugging Face LLaMA directory") var base: FilePath
    @Option(name: "--domains", help: "the domains in training order, comma-separated: synthetic ones (arithmetic, reversal, sorting, topic) or JSON/JSONL files whose records carry output and answer")
    var domains: ContinualDomainList
    @Option(name: "--out", valueName: "DIR", help: "where the adapters and continual.json go") var out: FilePath
    @Flag(name: "--overwrite", help: "replace a continual run already in --out") var overwrite: Bool
    @OptionGroup var adapter: AdapterSpecOptions
    @Option(name: "--tasks", help: "training examples generated per synthetic domain", in: 1...100_000) var tasks = 100
    @Option(name: "--questions", help: "questions generated per synthetic domain", in: 1...100_000) var questions = 24
    @Option(name: "--question-seed", help: "the seed of the generated questions (training's is --seed)", in: 0...) var questionSeed = 7
    @Option(name: "--held-out", valueName: "FRACTION", help: "of each file domain's records (shuffled with --seed), kept as questions", in: 0.01...0.99)
    var heldOut = 0.2
    @OptionGroup var style: TaskStyleOptions
    @Flag(name: "--train-on-outputs-only", help: "compute the loss on the outputs only (default: whole sequence)") var outputsOnly: Bool
    @OptionGroup var optimizer: OptimizerOptions
    @Option(name: "--format", help: "adapter file format") var format = AdapterFormatChoice.safetensors
    @Option(name: "--max-new-tokens", help: "tokens generated per question, fewer than --length", in: 1...65_535) var maxNewTokens = 24
    @Option(name: "--length", help: "the longest question plus answer, in tokens", in: 8...65_536) var length = 512
    @OptionGroup var output: OutputOptions
    @OptionGroup var threads: ThreadOptions

    /// The report's name in `--out`.
    static let reportName = "continual.json"

    func validate() throws {
        try domains.validate()
        if adapter.allocation == nil { throw UsageError("missing --allocation (e.g. 2468, or 1 for plain LoRA)") }
        guard maxNewTokens < length else {
            throw UsageError("--max-new-tokens \(maxNewTokens) leaves no room for the question in --length \(length)")
        }
    }

    func run() throws {
        let basePath = base.path, outPath = out.path
        let entries = domains.entries
        let checkpointNames = entries.enumerated().map { "\($0 + 1)-\($1.name)" }
        let files = entries.compactMap { if case let .file(path) = $0 { path } else { nil } }
        try OutputSafety.check(directory: outPath, option: "--out", writing: [Self.reportName] + checkpointNames,
                               inputs: [.base(basePath)] + files.map(CommandInput.file))
        try OutputSafety.check(outputs: [("--output", output.output?.path)], inputs: [.base(basePath)] + files.map(CommandInput.file))
        try refuseExistingRun(outPath, names: [Self.reportName] + checkpointNames)

        // Everything read and checked before anything is trained or written.
        let opened = try OpenedBase(path: basePath)
        let tokenizer = try opened.tokenizer()
        let spec = try adapter.spec(layerCount: opened.config.layerCount)
        let training = optimizer.trainingOptions
        let seed = training.seed
        let loaded = try loadDomains(seed: seed)
        let cutoff = optimizer.cutoff
        try opened.checkFits(cutoff, what: "--cutoff")
        let sequences = try loaded.map { try trainingSequences(of: $0, tokenizer: tokenizer, cutoff: cutoff) }
        let threadCount = threads.count
        // The trainer keeps a GGUF base's quantized matrices too, for the scorer's one-token steps.
        let model = try opened.model(adapter: spec, batch: training.microBatchSize, length: cutoff, threads: threadCount, seed: seed,
                                     generating: true)
        model.initialiseAdapter(seed: seed)
        // Questions are answered by a second model, one sequence long, with each domain's saved
        // adapter; it reads the trainer's base (which is not trained) rather than a copy.
        let scorer = try opened.model(sharingBaseOf: model, adapter: spec, batch: 1, length: length, threads: threadCount, seed: seed)
        let generator = try KeyValueCacheGenerator(model: scorer)

        let staging = try StagingDirectory(for: outPath)
        defer { staging.remove() }
        var matrix = AccuracyMatrix(domains: loaded.map(\.name))
        var runs: [ContinualReport.Run] = []
        for (index, domain) in loaded.enumerated() {
            let label = "domain \(index + 1)/\(loaded.count) \(domain.name)"
            let (trainer, lastLoss, trainingSeconds) = try train(model, on: sequences[index], options: training, label: label, outPath: outPath)
            let directory = URL(fileURLWithPath: staging.path).appendingPathComponent(checkpointNames[index]).path
            try model.saveAdapter(to: directory, format: format.fileFormat, baseModel: basePath,
                                  training: MoLASidecar.Training(steps: trainer.totalSteps, step: trainer.step,
                                                                 learningRate: optimizer.learningRate, batch: training.batchSize,
                                                                 microBatch: training.microBatchSize, cutoff: cutoff, seed: seed))
            // Scored from what was saved, so that the numbers belong to the checkpoint on disk.
            try scorer.loadAdapter(Checkpoint(path: directory).adapter)
            let scoring = Date()
            let accuracies = try loaded.map { try score($0, after: domain.name, generator: generator, tokenizer: tokenizer) }
            matrix.append(accuracies)
            runs.append(ContinualReport.Run(domain: domain.name, steps: trainer.totalSteps, loss: lastLoss, trainingSeconds: trainingSeconds,
                                            evaluationSeconds: Date().timeIntervalSince(scoring), checkpoint: checkpointNames[index]))
            StandardStream.error.writeDiagnostic("\(label): \(trainer.totalSteps) steps, loss \(String(format: "%.4f", lastLoss)); accuracy "
                + zip(matrix.domains, accuracies).map { "\($0) \(String(format: "%.3f", $1))" }.joined(separator: ", ") + "\n")
        }
        let report = ContinualReport(base: basePath, allocation: spec.expertsPerLayer, topK: spec.topK, seed: Int(seed),
                                     questions: loaded.map(\.questions.count), matrix: matrix, runs: runs)
        try JSONDocument.write(report, to: URL(fileURLWithPath: staging.path).appendingPathComponent(Self.reportName).path)
        if overwrite {
            for name in [Self.reportName] + checkpointNames {
                try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: outPath).appendingPathComponent(name).path)
            }
        }
        try staging.move(checkpointNames + [Self.reportName], into: outPath)
        let text = output.json ? try JSONDocument.rendered(report) : ContinualView.table(report)
        try output.destination.write(text, format: output.format)
        StandardStream.error.writeDiagnostic("wrote \(TerminalText.escaped(outPath))\n")
    }

    /// Each domain of `--domains`, its training examples and questions made or read.
    private func loadDomains(seed: UInt64) throws -> [ContinualDomain] {
        try domains.entries.map { entry in
            switch entry {
            case let .synthetic(domain):
                .synthetic(domain, style: style, count: tasks, seed: seed, questionCount: questions, questionSeed: UInt64(questionSeed))
            case let .file(path):
                try .file(path, name: entry.name, heldOut: heldOut, seed: seed)
            }
        }
    }

    /// A domain's training examples tokenised, truncated at `cutoff` (with a warning saying how many were).
    private func trainingSequences(of domain: ContinualDomain, tokenizer: BaseTokenizer, cutoff: Int) throws -> [TrainingSequence] {
        try TrainingData.memoryRequirement(count: domain.training.count, cutoff: cutoff)
            .require(for: "the training sequences of domain \(domain.name)", source: "--cutoff \(cutoff)")
        let result = TrainingData.sequences(domain.training, outputsOnly: outputsOnly, cutoff: cutoff, tokenizer: tokenizer)
        if result.truncated > 0 {
            warn("\(result.truncated) of \(result.sequences.count) sequences of domain \(domain.name) were longer than --cutoff \(cutoff) and were truncated")
        }
        return result.sequences
    }

    /// Trains `model`'s adapter on one domain with a new trainer: fresh AdamW moments and schedule,
    /// the adapter as the last domain left it. Returns the trainer, its last loss and the seconds taken.
    private func train(_ model: LlamaModel, on sequences: [TrainingSequence], options: TrainingOptions, label: String,
                       outPath: String) throws -> (Trainer, Double, Double) {
        let trainer = try Trainer(model: model, sequences: sequences, options: options)
        let progress = ProgressBar(label: "training \(label)", unit: "steps")
        var lastLoss = Double.nan
        let started = Date()
        do {
            try trainer.run { log in
                lastLoss = log.loss
                progress.update(done: log.step, total: log.totalSteps, detail: String(format: "loss %.4f", log.loss))
            }
            progress.finish()
            try trainer.requireFiniteParameters()
        } catch let error as TrainingError {
            progress.finish()
            throw CommandError.failed("training on \(label) stopped: \(error); nothing was written (\(outPath))")
        }
        return (trainer, lastLoss, Date().timeIntervalSince(started))
    }

    /// The accuracy on `domain`'s questions of the adapter `generator`'s model holds.
    private func score(_ domain: ContinualDomain, after trained: String, generator: KeyValueCacheGenerator,
                       tokenizer: BaseTokenizer) throws -> Double {
        let bar = ProgressBar(label: "scoring \(domain.name) after \(trained)", unit: "questions")
        defer { bar.finish() }
        return try Evaluation.run(domain.questions, generator: generator, tokenizer: tokenizer, maxNewTokens: maxNewTokens) {
            bar.update(done: $0, total: $1)
        }.accuracy
    }

    /// Refuses to write over a continual run already in `directory`, unless asked.
    private func refuseExistingRun(_ directory: String, names: [String]) throws {
        let existing = names.filter { FileManager.default.fileExists(atPath: URL(fileURLWithPath: directory).appendingPathComponent($0).path) }
        if !existing.isEmpty && !overwrite {
            throw CommandError.failed("\(directory) already holds a continual run (\(existing.joined(separator: ", "))); pass --overwrite to replace it")
        }
    }
}
