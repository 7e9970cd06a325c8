// The training loop: schedule, determinism, learning, and its refusals.
import Foundation
import MoLAFiles
import MoLATensor
import MoLATestSupport
import MoLAText
import Testing
@testable import MoLAModel
@testable import MoLATrain

@Suite struct TrainerTests {
    static func tinyModel(threads: Int = 1) throws -> LlamaModel {
        let config = ModelConfig(vocabularySize: ByteTokenizer.minimumVocabulary, hiddenSize: 32, intermediateSize: 48,
                                 layerCount: 2, headCount: 4, keyValueHeadCount: 2)
        let model = try LlamaModel(config: config, adapter: AdapterSpec(expertsPerLayer: [2, 4], rank: 4, alpha: 8, topK: 2,
                                                                         balanceCoefficient: 0.001),
                                   batch: 4, time: 48, threadCount: threads, seed: 5)
        model.initialiseBase(seed: 1)
        model.initialiseAdapter(seed: 2)
        return model
    }

    static func data() -> [TrainingSequence] {
        let examples = SyntheticTasks.generate(domains: [.topic], count: 16, seed: 3)
        let texts = examples.map { (text: "\($0.instruction) \($0.output)", prompt: nil as String?) }
        return TrainingData.sequences(texts, cutoff: 48).sequences
    }

    @Test func warmupThenLinearDecay() throws {
        var options = TrainingOptions()
        options.learningRate = 1e-3
        options.warmupSteps = 4
        options.steps = 12
        options.microBatchSize = 4
        let trainer = try Trainer(model: Self.tinyModel(), sequences: Self.data(), options: options)
        assertClose([0, 1, 3, 4, 8, 11].map { Double(trainer.learningRate(at: $0)) },
                    [2.5e-4, 5e-4, 1e-3, 1e-3, 5e-4, 1.25e-4], rtol: 1e-6)
        // Without a warm-up length: the reference's 100 steps, or a tenth of a shorter run.
        options.warmupSteps = nil
        options.steps = 40
        let short = try Trainer(model: Self.tinyModel(), sequences: Self.data(), options: options)
        assertClose(Double(short.learningRate(at: 0)), 2.5e-4, rtol: 1e-6)
        assertClose(Double(short.learningRate(at: 3)), 1e-3, rtol: 1e-6)
    }

    @Test func stateRoundTripAndItsRefusals() throws {
        var options = TrainingOptions()
        options.steps = 3
        options.batchSize = 4
        options.microBatchSize = 4
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let trainer = try Trainer(model: Self.tinyModel(), sequences: Self.data(), options: options)
        try trainer.run { _ in }
        try trainer.state.save(to: scratch.url.path, fingerprint: "a")
        let loaded = try TrainingState.load(from: scratch.url.path, fingerprint: "a")
        #expect(loaded == trainer.state)
        #expect(throws: TrainingStateError.differentConfiguration(path: scratch.path(TrainingState.jsonName), saved: "a", current: "b")) {
            try TrainingState.load(from: scratch.url.path, fingerprint: "b")
        }
        #expect(throws: TrainingStateError.unreadable(path: scratch.path("nothing/\(TrainingState.jsonName)"))) {
            try TrainingState.load(from: scratch.path("nothing"), fingerprint: "a")
        }
        // A state file edited or cut by hand: the field that is wrong is named.
        let json = scratch.path(TrainingState.jsonName)
        let saved = try String(contentsOfFile: json, encoding: .utf8)
        for (field, broken, expected) in [
            ("random_states", saved.replacingOccurrences(of: #""random_states": ["#, with: #""random_states": ["x", "#),
             "unsigned 64-bit integers written as strings"),
            ("step", saved.replacingOccurrences(of: #""step": "#, with: #""step": "three", "unused": "#), "an integer"),
        ] {
            try Data(broken.utf8).write(to: URL(fileURLWithPath: json))
            #expect(throws: JSONDocumentError.invalidField(file: json, field: field, expected: expected)) {
                try TrainingState.load(from: scratch.url.path, fingerprint: "a")
            }
        }
        // Parameters other than the ones the state was saved with are refused.
        let other = try Trainer(model: Self.tinyModel(), sequences: Self.data(), options: options)
        #expect(throws: TrainingStateError.parametersDoNotMatch(path: "x")) { try other.restore(loaded, path: "x") }
        // The same parameters are accepted, and the restored trainer carries on where the saved one stopped.
        other.parameters.values.pointer.update(from: trainer.parameters.values.pointer, count: trainer.parameters.count)
        try other.restore(loaded, path: "x")
        #expect(other.state.step == 3)
        let restored = other.state == loaded  // the moments and the queue are long: not printed
        #expect(restored, "the restored trainer's state differs from the saved one")
    }

    @Test func sameSeedSameLossesAndTheLossFalls() throws {
        var options = TrainingOptions()
        options.learningRate = 3e-2
        options.warmupSteps = 2
        options.steps = 30
        options.batchSize = 8
        options.microBatchSize = 4
        var runs: [[Double]] = []
        for _ in 0..<2 {
            let model = try Self.tinyModel()
            model.trainBase = true  // pretraining: every weight learns
            let trainer = try Trainer(model: model, sequences: Self.data(), options: options)
            var losses: [Double] = []
            try trainer.run { losses.append($0.loss) }
            runs.append(losses)
        }
        #expect(runs[0] == runs[1])
        #expect(runs[0].count == 30)
        let early: Double = runs[0].prefix(3).reduce(0, +) / 3
        let late: Double = runs[0].suffix(5).reduce(0, +) / 5
        #expect(late < 0.6 * early, "\(runs[0])")
    }

    @Test func refusals() throws {
        var options = TrainingOptions()
        options.batchSize = 6
        options.microBatchSize = 4
        #expect(throws: TrainingError.batchNotMultiple(batch: 6, microBatch: 4)) {
            try Trainer(model: Self.tinyModel(), sequences: Self.data(), options: options)
        }
        #expect(throws: TrainingError.noData) { try Trainer(model: Self.tinyModel(), sequences: [], options: TrainingOptions()) }
        #expect(throws: TrainingError.microBatchTooLarge(microBatch: 8, capacity: 4)) {
            try Trainer(model: Self.tinyModel(), sequences: Self.data(), options: TrainingOptions())
        }
    }

    @Test func sequencesAreTruncatedAndMasked() {
        let (sequences, truncated) = TrainingData.sequences([(text: "abcdef", prompt: "abc"), (text: String(repeating: "x", count: 20), prompt: nil)], cutoff: 8)
        #expect(truncated == 1)
        // <bos> a b c d e f <eos> -> inputs <bos>..f, targets a..<eos>; the prompt's 3 targets masked.
        let expectedTokens: [Int] = [256, 97, 98, 99, 100, 101, 102, ByteTokenizer.padding]
        let expectedTargets: [Int] = [-1, -1, -1, 100, 101, 102, 257, -1]
        #expect(sequences[0].tokens == expectedTokens)
        #expect(sequences[0].targets == expectedTargets)
        #expect(sequences[1].tokens.count == 8 && sequences[1].targets.allSatisfy { $0 == 120 })
    }

    /// With outputs only, the first trained target is the output's first byte.
    @Test func outputsOnlyMasksExactlyThePrompt() {
        let (sequences, _) = TrainingData.sequences([(prompt: "Q: x\n", output: "The answer is A.")], outputsOnly: true, cutoff: 32)
        let firstTrained = sequences[0].targets.firstIndex { $0 >= 0 }!
        #expect(sequences[0].targets[firstTrained] == Int(UInt8(ascii: "T")))
        #expect(sequences[0].tokens[firstTrained] == Int(UInt8(ascii: "\n")))
        // Exactly: every target from there on is trained, the whole output and its end, and nothing else.
        #expect(firstTrained == "Q: x\n".utf8.count)
        #expect(sequences[0].targets.filter { $0 >= 0 } == "The answer is A.".utf8.map(Int.init) + [ByteTokenizer.end])
    }

    @Test func syntheticTasksAreDeterministicWithOneCorrectLetter() {
        let first = SyntheticTasks.generate(count: 5, seed: 9)
        #expect(first == SyntheticTasks.generate(count: 5, seed: 9))
        #expect(first.count == 20)
        #expect(Set(first.map(\.domain)) == Set(SyntheticTasks.Domain.allCases))
        for example in first {
            #expect(example.output == "The answer is \(example.answer).")
            #expect(example.input.contains("(\(example.answer))"))
        }
        let arithmetic = first.first { $0.domain == .arithmetic }!
        let numbers = arithmetic.instruction.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(arithmetic.input.contains("(\(arithmetic.answer)) \(numbers[0] + numbers[1])"))
    }

    /// Label answers ask the same questions with the same options, and answer with the text of
    /// the option the letter names.
    @Test func labelAnswersNameTheLetteredOption() {
        let letters = SyntheticTasks.generate(count: 5, seed: 9)
        let labels = SyntheticTasks.generate(count: 5, seed: 9, answers: .label)
        #expect(labels.map(\.instruction) == letters.map(\.instruction) && labels.map(\.input) == letters.map(\.input))
        for (letter, label) in zip(letters, labels) {
            #expect(label.output == "Answer: \(label.answer)")
            #expect(letter.input.contains("(\(letter.answer)) \(label.answer)"))
        }
    }
}
