// A tiny model learns one synthetic task (topic classification, options in a fixed order) to
// high accuracy, trained with the Trainer and measured with the generation-based evaluation.
import Foundation
import MoLAText
import Testing
@testable import MoLAModel
@testable import MoLATrain

@Suite struct LearningTests {
    static func render(_ example: SyntheticTasks.Example) -> (prompt: String, output: String) {
        ("\(example.instruction) \(example.input)\n", example.output)
    }

    @Test func aTinyModelLearnsTopicClassification() throws {
        let config = ModelConfig(vocabularySize: ByteTokenizer.minimumVocabulary, hiddenSize: 64, intermediateSize: 128,
                                 layerCount: 2, headCount: 4)
        let model = try LlamaModel(config: config, adapter: nil, batch: 16, time: 160, threadCount: 2)
        model.initialiseBase(seed: 1)
        model.trainBase = true
        let training = SyntheticTasks.generate(domains: [.topic], count: 400, seed: 1, shuffleOptions: false).map(Self.render)
        let (sequences, truncated) = TrainingData.sequences(training, outputsOnly: true, cutoff: 160)
        #expect(truncated == 0)
        var options = TrainingOptions()
        options.learningRate = 3e-3
        options.warmupSteps = 20
        options.steps = 200
        options.batchSize = 16
        options.microBatchSize = 16
        var losses: [Double] = []
        try Trainer(model: model, sequences: sequences, options: options).run { losses.append($0.loss) }
        #expect(losses.last! < 0.2 * losses.first!)

        // Fresh questions (another seed), answered by greedy generation.
        let generatorModel = try LlamaModel(config: config, adapter: nil, batch: 1, time: 160)
        generatorModel.base.values.pointer.update(from: model.base.values.pointer, count: model.base.count)
        let questions = SyntheticTasks.generate(domains: [.topic], count: 40, seed: 99, shuffleOptions: false).map {
            Evaluation.Item(group: "topic", prompt: Self.render($0).prompt, answer: $0.answer)
        }
        let result = try Evaluation.run(questions, generator: KeyValueCacheGenerator(model: generatorModel), maxNewTokens: 18)
        #expect(result.accuracy >= 0.9, "accuracy \(result.accuracy)")
    }
}
