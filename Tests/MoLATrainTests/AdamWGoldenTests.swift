// The first ten AdamW steps of a MoLA fine-tune against PyTorch (Tests/Fixtures/generate_model_golden.py,
// float64): the tiny base and its reference-layout adapter, warm-up 2 steps then linear decay,
// gradient norm clipped at 1, weight decay 0, the balance loss on.
import Foundation
import MoLACheckpoint
import MoLATestSupport
import Testing
@testable import MoLAModel
@testable import MoLATrain

@Suite struct AdamWGoldenTests {
    static let directory = Fixtures.path("tiny-model")

    @Test func tenLossesMatchPyTorch() throws {
        let losses = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/golden-losses.json"))) as! [String: Any]
        let golden = try SafetensorsFile(path: "\(Self.directory)/golden.safetensors")
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let targets = try golden.record(named: "targets").doubles().map { $0 < 0 ? -1 : Int($0) }
        let model = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: Checkpoint(path: "\(Self.directory)/adapter"),
                                        topK: [2, 2, 2], balanceCoefficient: losses["coefficient"] as? Double, batch: 2, time: 16, threadCount: 2)
        let sequences = (0..<2).map { TrainingSequence(tokens: Array(tokens[($0 * 16)..<(($0 + 1) * 16)]),
                                                       targets: Array(targets[($0 * 16)..<(($0 + 1) * 16)])) }
        var options = TrainingOptions()
        options.learningRate = Float(losses["adamw_learning_rate"] as! Double)
        options.warmupSteps = 2
        options.steps = 10
        options.batchSize = 2
        options.microBatchSize = 2
        let trainer = try Trainer(model: model, sequences: sequences, options: options)
        var ours: [Double] = []
        try trainer.run { ours.append($0.loss) }
        assertClose(ours, losses["adamw_losses"] as! [Double], rtol: 1e-4, "AdamW losses")
    }
}
