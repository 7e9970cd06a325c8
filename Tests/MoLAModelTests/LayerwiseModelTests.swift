// The layer-by-layer pass over mapped weights (LayerwiseModel) routes as the all-Float32 model
// does, on the tiny fixture (whose routing RoutingFidelityTests checks against PyTorch).
import Foundation
import MoLACheckpoint
import MoLAFiles
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite struct LayerwiseModelTests {
    static let directory = Fixtures.path("tiny-model")

    /// Every router's records of one forward over `tokens`.
    private func records(_ model: any RoutingPass, _ tokens: [Int]) throws -> [RoutingRecord] {
        let tap = RoutingTap()
        model.routingTap = tap
        try model.routingForward(tokens: tokens)
        return tap.records
    }

    @Test func routesAsTheFullModelDoes() throws {
        let checkpoint = try Checkpoint(path: "\(Self.directory)/adapter")
        let full = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: checkpoint, topK: [2, 2, 2], batch: 3, time: 10)
        let layerwise = try LayerwiseModel.load(baseDirectory: "\(Self.directory)/base", adapter: checkpoint, topK: [2, 2, 2],
                                                batch: 3, time: 10, threadCount: 2)
        let tokens = (0..<30).map { ($0 * 37 + 11) % 300 }
        let expected = try records(full, tokens), found = try records(layerwise, tokens)
        #expect(found.count == 21 && expected.count == 21)
        for (ours, theirs) in zip(found, expected) {
            #expect(ours.layer == theirs.layer && ours.site == theirs.site)
            #expect(ours.chosen == theirs.chosen, "\(ours.layer).\(ours.site)")
            assertClose(ours.probabilities.map(Double.init), theirs.probabilities.map(Double.init), rtol: 0, atol: 1e-6)
            assertClose(ours.weights.map(Double.init), theirs.weights.map(Double.init), rtol: 0, atol: 1e-6)
        }
        // Fewer windows than the batch holds, and a second forward on the same buffers.
        let again = try records(layerwise, Array(tokens.prefix(10)))
        assertClose(again[20].probabilities.map(Double.init), expected[20].probabilities.prefix(10 * 3).map(Double.init), rtol: 0, atol: 1e-6)
    }

    @Test func logitsAsTheFullModelGivesThem() throws {
        let checkpoint = try Checkpoint(path: "\(Self.directory)/adapter")
        let full = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: checkpoint, batch: 1, time: 12)
        // The head is converted in blocks of rows that fit the one-layer buffer.
        let layerwise = try LayerwiseModel.load(baseDirectory: "\(Self.directory)/base", adapter: checkpoint, batch: 1, time: 12)
        let tokens = (0..<12).map { ($0 * 53 + 7) % 300 }
        assertClose(try layerwise.logits(tokens: tokens).map(Double.init), try full.logits(tokens: tokens).map(Double.init),
                    rtol: 0, atol: 2e-5)
    }

    @Test func refusesABaseThatIsNotTheConfigs() throws {
        let file = try SafetensorsFile(path: "\(Self.directory)/base/model.safetensors")
        var config = try ModelConfig(huggingFaceConfig: "\(Self.directory)/base/config.json")
        config.intermediateSize = 100
        #expect(throws: ModelError.tensorShape(file: file.path, tensor: "model.layers.0.mlp.gate_proj.weight", expected: [100, 64], found: [172, 64])) {
            try LayerwiseModel(config: config, adapter: nil, file: file, batch: 1, time: 4)
        }
        #expect(throws: ModelError.tokenOutOfRange(token: 300, position: 1, vocabularySize: 300)) {
            try LayerwiseModel.load(baseDirectory: "\(Self.directory)/base", adapter: nil, batch: 1, time: 2).routingForward(tokens: [1, 300])
        }
    }
}
