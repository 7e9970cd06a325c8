// Top-K over more experts than a 64-bit mask has bits: each token's K experts are distinct and
// are the K most probable (ties to the lower index), checked against a naive sort.
import Foundation
import MoLATensor
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite struct ManyExpertsTests {
    /// 70 experts; only experts 64-69 have router rows, so they win and must each be picked once
    /// (a 64-bit "picked" mask let expert 64 and above be picked twice).
    @Test func topKPicksDistinctExpertsPastSixtyFour() throws {
        let experts = 70, topK = 3
        let config = ModelConfig(vocabularySize: 16, hiddenSize: 8, intermediateSize: 8, layerCount: 1, headCount: 2)
        let model = try LlamaModel(config: config, adapter: AdapterSpec(projections: [.query], expertsPerLayer: [experts], rank: 2, topK: topK),
                                   batch: 1, time: 12)
        model.initialiseBase(seed: 1)
        model.initialiseAdapter(seed: 2)
        let router = AdapterViewName.router(layer: 0, .query)
        var random = SplitMix(seed: 3)
        model.adapter.write(router, (0..<(experts * config.hiddenSize)).map { $0 < 64 * config.hiddenSize ? 0 : random.uniform(4) })
        let tap = RoutingTap()
        model.routingTap = tap
        for path in [true, false] {  // the dense forward (with targets) and the chosen-experts forward
            let tokens = Array(0..<12)
            _ = try model.forward(tokens: tokens, targets: path ? tokens.map { ($0 + 1) % 16 } : nil)
            let record = try #require(tap.records.first)
            var sawHighExpert = false
            for token in 0..<record.tokens {
                let chosen = record.chosen[(token * topK)..<((token + 1) * topK)].map(Int.init)
                #expect(Set(chosen).count == topK, "token \(token) chose \(chosen)")
                let row = Array(record.probabilities[(token * experts)..<((token + 1) * experts)])
                let naive = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(topK)
                #expect(chosen == Array(naive), "token \(token)")
                sawHighExpert = sawHighExpert || chosen.contains { $0 >= 64 }
            }
            #expect(sawHighExpert)
        }
    }
}
