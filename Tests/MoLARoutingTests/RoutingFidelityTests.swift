// Routing statistics against the reference router outputs recorded with PyTorch by
// Tests/Fixtures/generate_model_golden.py (float64): probabilities to 1e-5, counts exact.
import Foundation
import MoLACheckpoint
import MoLAModel
import MoLARouting
import MoLATestSupport
import Testing

@Suite struct RoutingFidelityTests {
    static let directory = Fixtures.path("tiny-model")

    @Test func probabilitiesAndCountsMatchTheReference() throws {
        let golden = try SafetensorsFile(path: "\(Self.directory)/golden.safetensors")
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let sequences = [Array(tokens[0..<16]), Array(tokens[16..<32])]
        let model = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: Checkpoint(path: "\(Self.directory)/adapter"),
                                        topK: [2, 2, 2], batch: 2, time: 16, threadCount: 2)
        var seen: [RoutingRecord] = []
        let report = try RoutingRun.run(model: model, sequences: sequences, padding: 0, includePadding: false, maxTokens: nil,
                                        perToken: { _, records, _ in seen += records })
        #expect(report.tokens == 32)
        #expect(report.nearTies == 0)
        #expect(seen.count == 3 * 7)
        for record in seen {
            let key = "\(record.layer).\(record.site.checkpointName)"
            let probabilities = try golden.record(named: "router.\(key)").doubles()
            assertClose(record.probabilities.map(Double.init), probabilities, rtol: 0, atol: 1e-5, key)
            let chosen = try golden.record(named: "chosen.\(key)").doubles().map { Int($0) }
            let ours = record.chosen.map { Int($0) }
            // Same sets per token (the order within the top-K is best first in both).
            #expect(ours == chosen, "\(key)")
            // Counts and shares from the reference's choices.
            let projection = report.layers[record.layer].projections.first { $0.site == record.site }!
            let counts = (0..<record.experts).map { expert in chosen.filter { $0 == expert }.count }
            #expect(projection.selected == counts, "\(key)")
            let reference = probabilities.count / record.experts
            let means = (0..<record.experts).map { e in (0..<reference).reduce(0.0) { $0 + probabilities[$1 * record.experts + e] } / Double(reference) }
            assertClose(projection.meanProbabilities, means, rtol: 0, atol: 1e-5, "\(key) mean probability")
        }
    }

    @Test func paddingIsExcludedUnlessAsked() throws {
        let model = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: Checkpoint(path: "\(Self.directory)/adapter"),
                                        batch: 2, time: 16)
        let short = [[1, 2, 3, 4, 5], [7, 8]]
        let excluded = try RoutingRun.run(model: model, sequences: short, padding: 0, includePadding: false, maxTokens: nil)
        #expect(excluded.tokens == 7)
        #expect(excluded.layers[0].projections[0].selected.reduce(0, +) == 7 * 2)
        let included = try RoutingRun.run(model: model, sequences: short, padding: 0, includePadding: true, maxTokens: nil)
        #expect(included.tokens == 32)
        // A long sequence is cut into windows, and --max-tokens stops early.
        let long = try RoutingRun.run(model: model, sequences: [Array(repeating: 5, count: 40)], padding: 0, includePadding: false, maxTokens: 35)
        #expect(long.tokens == 35 && long.windows == 3)
    }

    @Test func statisticsOfAHandMadeRecord() throws {
        // Two tokens, three experts, top-2.
        let record = RoutingRecord(layer: 0, site: .projection(.query), tokens: 2, experts: 3, topK: 2,
                                   probabilities: [0.5, 0.3, 0.2, 0.1, 0.6, 0.3],
                                   chosen: [0, 1, 1, 2], weights: [0.625, 0.375, 0.6667, 0.3333])
        let accumulator = RoutingAccumulator()
        try accumulator.add([record], counted: [true, true])
        let projection = accumulator.report(windows: 1).layers[0].projections[0]
        #expect(projection.selected == [1, 2, 1])
        assertClose(projection.shares, [0.25, 0.5, 0.25], rtol: 1e-12)
        assertClose(projection.meanProbabilities, [0.3, 0.45, 0.25], rtol: 1e-6)
        assertClose(projection.meanWeightsWhenSelected.map { $0 ?? .nan }, [0.625, (0.375 + 0.6667) / 2, 0.3333], rtol: 1e-6)
        // E * sum f_i Pbar_i = 3 * (0.25 * 0.3 + 0.5 * 0.45 + 0.25 * 0.25)
        assertClose(projection.balance, 3 * (0.075 + 0.225 + 0.0625), rtol: 1e-6)
        assertClose(projection.entropy, -(0.25 * log(0.25) * 2 + 0.5 * log(0.5)), rtol: 1e-12)
        #expect(projection.neverSelected.isEmpty && projection.overloaded.isEmpty)
    }

    @Test func nonFiniteRouterProbabilitiesAreRefusedByName() throws {
        // The second token's router output is NaN (as a NaN or overflowing router weight makes it).
        let record = RoutingRecord(layer: 3, site: .projection(.value), tokens: 2, experts: 2, topK: 1,
                                   probabilities: [0.5, 0.5, .nan, .nan], chosen: [0, 0], weights: [1, 1])
        #expect(throws: RoutingError.nonFiniteProbabilities(layer: 3, projection: "v_proj", tokens: 1, firstToken: 1)) {
            try RoutingAccumulator().add([record], counted: [true, true])
        }
        // A padding position that does not count is not looked at.
        try RoutingAccumulator().add([record], counted: [true, false])
    }
}
