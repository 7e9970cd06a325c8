// Saving a base and an adapter, then reading them back through this project's readers: the
// same structure and the same values, in both adapter formats.
import Foundation
import MoLACheckpoint
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite final class SavingTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let fixture = Fixtures.path("tiny-model")

    @Test(arguments: [AdapterFileFormat.safetensors, .bin])
    func adapterAndBaseRoundTrip(format: AdapterFileFormat) throws {
        let original = try LlamaModel.load(baseDirectory: "\(Self.fixture)/base", adapter: Checkpoint(path: "\(Self.fixture)/adapter"),
                                           topK: [1, 2, 3], balanceCoefficient: 0.001, batch: 1, time: 8)
        let training = MoLASidecar.Training(steps: 10, step: 5, learningRate: 3e-4, batch: 4, microBatch: 2, cutoff: 8, seed: 42)
        try original.saveAdapter(to: scratch.path("adapter"), format: format, baseModel: "tiny", training: training)
        try original.saveBase(to: scratch.path("base"))

        let checkpoint = try Checkpoint(path: scratch.path("adapter"))
        #expect(checkpoint.adapter.file.formatName == (format == .bin ? "torch.save" : "safetensors"))
        #expect(checkpoint.adapter.allocation.expertsPerLayer == [2, 4, 3])
        #expect(try checkpoint.topK(requested: nil).perLayer == [1, 2, 3])
        #expect(try checkpoint.topK(requested: nil).source == .sidecar)
        #expect(checkpoint.config?.ranks == .perLayer([8, 8, 8]))
        #expect(checkpoint.config?.alpha == 16)
        #expect(checkpoint.config?.baseModel == "tiny")
        #expect(checkpoint.sidecar?.training == training)
        #expect(checkpoint.sidecar?.alphaPerLayer == [16, 16, 16])
        #expect(checkpoint.sidecar?.balanceCoefficient == 0.001)
        let reloaded = try LlamaModel.load(baseDirectory: scratch.path("base"), adapter: checkpoint, batch: 1, time: 8)
        #expect(reloaded.adapter.values.array == original.adapter.values.array)
        #expect(reloaded.base.values.array == original.base.values.array)
        #expect(reloaded.adapterSpec?.topK == [1, 2, 3])
    }

    @Test func aModelWithoutAnAdapterHasNothingToSave() throws {
        let model = try LlamaModel(config: ModelConfig(vocabularySize: 10, hiddenSize: 8, intermediateSize: 8, layerCount: 1, headCount: 2),
                                   adapter: nil, batch: 1, time: 2)
        #expect(throws: ModelError.invalidAdapter("the model has no adapter to save")) {
            try model.saveAdapter(to: self.scratch.path("x"), baseModel: "none")
        }
    }
}
