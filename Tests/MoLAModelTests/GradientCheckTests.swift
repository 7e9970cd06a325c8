// Finite-difference checks of every backward: each layer alone, and the whole model with
// adapters, dropout off, the balance loss on.
import Foundation
import MoLACheckpoint
import MoLATestSupport
import MoLATensor
import Testing
@testable import MoLAModel

@Suite struct GradientCheckTests {
    /// A tiny model with uneven experts, top-2, the balance loss, random B so every path carries gradient.
    static func tinyModel(trainBase: Bool, tied: Bool = false, projections: [ProjectionKind] = ProjectionKind.allCases) throws -> LlamaModel {
        let config = ModelConfig(vocabularySize: 23, hiddenSize: 16, intermediateSize: 24, layerCount: 2, headCount: 4,
                                 keyValueHeadCount: 2, tiedEmbeddings: tied)
        let spec = AdapterSpec(projections: projections, expertsPerLayer: [3, 1], rank: 2, alpha: 4, topK: 2,
                               balanceCoefficient: 0.5)
        let model = try LlamaModel(config: config, adapter: spec, batch: 2, time: 5)
        model.initialiseBase(seed: 1)
        // Larger weights than the 0.02 default, so second-order terms are visible but small.
        for i in 0..<model.base.count { model.base.values.pointer[i] *= 20 }
        for name in model.base.names where name.hasSuffix("norm.weight") {
            for i in 0..<model.base.view(name).count { model.base.values(name)[i] = 1 + 0.1 * Float(i % 3) }
        }
        model.initialiseAdapter(seed: 2)
        var random = SplitMix(seed: 3)
        for i in 0..<model.adapter.count where model.adapter.values.pointer[i] == 0 { model.adapter.values.pointer[i] = random.uniform(0.5) }
        model.trainBase = trainBase
        return model
    }

    static let tokens = [1, 5, 7, 2, 9, 3, 3, 11, 22, 0]
    static let targets = [5, 7, 2, 9, -1, 3, 11, 22, 0, -1]

    /// Every projection's top-K choices of the last forward.
    static func choices(_ model: LlamaModel) -> [[Int32]] { model.lanes.flatMap { $0.projections.joined().compactMap(\.routing?.chosen) } }

    /// Central differences around Float parameters, on a few coordinates of every view. A
    /// perturbation that changes a top-K choice crosses a discontinuity (the selection, and the
    /// balance term's counts, are piecewise constant), so that coordinate is skipped.
    static func check(_ model: LlamaModel, _ set: ParameterSet, names: [String], samples: Int = 3) throws {
        model.zeroGradients()
        try model.forward(tokens: tokens, targets: targets)
        let reference = choices(model)
        model.backward()
        let analytic = set.gradients.array
        var checked = 0
        for name in names {
            let view = set.view(name)
            for sample in 0..<min(samples, view.count) {
                let element = (sample * 7919) % view.count
                let index = view.offset + (element / view.columns) * view.rowStride + element % view.columns
                let original = set.values.pointer[index]
                let step: Float = 2e-3 * max(1, abs(original))
                set.values.pointer[index] = original + step
                let plus = try model.forward(tokens: tokens, targets: targets).loss
                let flippedUp = choices(model) != reference
                set.values.pointer[index] = original - step
                let minus = try model.forward(tokens: tokens, targets: targets).loss
                let flippedDown = choices(model) != reference
                set.values.pointer[index] = original
                if flippedUp || flippedDown { continue }
                checked += 1
                let numeric = (plus - minus) / Double(2 * step)
                let tolerance = 2e-3 + 2e-2 * abs(numeric)
                #expect(abs(Double(analytic[index]) - numeric) <= tolerance,
                        "\(name)[\(element)]: analytic \(analytic[index]), numeric \(numeric)")
            }
        }
        #expect(checked >= names.count, "only \(checked) coordinates could be checked")
    }

    @Test func adapterGradientsMatchFiniteDifferences() throws {
        let model = try Self.tinyModel(trainBase: false)
        let names = model.adapter.names.filter { !$0.contains("lora_A_") && !$0.contains("lora_B_") }
        try Self.check(model, model.adapter, names: names)
        #expect(model.base.gradients.array.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [false, true])
    func baseGradientsMatchFiniteDifferences(tied: Bool) throws {
        let model = try Self.tinyModel(trainBase: true, tied: tied)
        try Self.check(model, model.base, names: model.base.names)
    }

    @Test func gradientsWithASubsetOfProjections() throws {
        let model = try Self.tinyModel(trainBase: true, projections: [.value, .down])
        try Self.check(model, model.adapter, names: model.adapter.names.filter { !$0.contains("_") || $0.hasSuffix("router") || $0.hasSuffix("lora_A") || $0.hasSuffix("lora_B") })
        try Self.check(model, model.base, names: ["model.layers.1.self_attn.q_proj.weight", "model.embed_tokens.weight"])
    }
}
