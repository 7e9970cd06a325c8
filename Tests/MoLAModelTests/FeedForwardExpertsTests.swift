// MixLoRA's feed-forward experts (FeedForwardExperts) against their naive reference: every chosen
// expert's whole MLP with merged weights, token by token. The fixture test in
// FrameworkForwardTests checks the whole model against MoE-PEFT; this one the layer alone, on
// shapes and choices the fixture lacks (a projection without LoRA, top-1, top-K = E).
import MoLACheckpoint
import MoLATensor
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite struct FeedForwardExpertsTests {
    @Test(arguments: [
        ([ProjectionKind.gate, .up, .down], 4, 2),
        ([.up, .down], 3, 1),           // gate not in target_modules: the base gate in every expert
        ([.gate, .up], 3, 3),           // down without LoRA; every expert chosen
    ])
    func mixtureMatchesItsNaiveReference(projections: [ProjectionKind], experts: Int, topK: Int) throws {
        let config = ModelConfig(vocabularySize: 16, hiddenSize: 8, intermediateSize: 12, layerCount: 1, headCount: 2)
        var spec = AdapterSpec(projections: projections, expertsPerLayer: [experts], rank: 2, alpha: 6, topK: topK)
        spec.routerScope = .feedForwardBlock
        let layout = AdapterLayout(config: config, spec: spec)
        let base = ParameterSet(blocks: BaseWeights.blocks(config)), adapter = layout.parameterSet()
        var random = SplitMix(seed: UInt64(experts * 10 + topK))
        random.fillNormal(base.values.pointer, count: base.count, standardDeviation: 0.3)
        random.fillNormal(adapter.values.pointer, count: adapter.count, standardDeviation: 0.5)
        let count = 7
        var h = [Float](repeating: 0, count: count * config.hiddenSize)
        random.fillNormal(&h, count: h.count, standardDeviation: 1)
        let mixture = try #require(layout.layers(capacity: count, base: base, adapter: adapter).feedForwardExperts[0])
        let n = count * config.intermediateSize
        var gate = [Float](repeating: 0, count: n), up = gate, mixed = gate
        var out = [Float](repeating: .nan, count: count * config.hiddenSize)
        mixture.forward(h, count: count, base: base, adapter: adapter, gate: &gate, up: &up, mixed: &mixed, out: &out, scratch: Scratch())
        // Several experts are in use, so each one's rows are gathered and scattered.
        #expect(Set(mixture.routing.chosen.prefix(count * topK)).count > 1)
        let reference = mixture.forwardReference(h, count: count, base: base, adapter: adapter)
        assertClose(out.map(Double.init), reference.map(Double.init), rtol: 1e-4, atol: 1e-5, "\(projections) E \(experts) K \(topK)")
    }
}
