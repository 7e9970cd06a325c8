// Experts that share a factor: HydraLoRA's heads share one A, so dW_i - dW_j = s (B_i - B_j) A
// and every distance is a B difference seen through A; MixLoRA's gate, up and down share one
// router per block. Checked against the naive dense path and a loop over the definition, on
// the fixtures of Tests/Fixtures/frameworks (written by generate_loramoe_hydra_fixtures.py and
// generate_moe_peft_fixtures.py).
import Foundation
import MoLATestSupport
import Testing
@testable import MoLAAnalysis
import MoLACheckpoint

@Suite struct SharedFactorTests {
    static func adapter(_ name: String) throws -> MoLAAdapter {
        try Checkpoint(path: Fixtures.path("frameworks/\(name)")).adapter
    }

    @Test func hydraDistancesAreBDifferencesThroughTheSharedA() throws {
        let adapter = try Self.adapter("hydralora")
        let options = RedundancyOptions(metric: .delta, scaled: true, projections: Set(ProjectionKind.allCases), threadCount: 2)
        let report = try RedundancyAnalyzer.analyze(adapter, options: options)
        let projection = adapter.layers[1].projection(.down)!
        let a = try adapter.file.record(named: projection.experts[0].a).doubles()
        let bs = try projection.experts.map { try adapter.file.record(named: $0.b).doubles() }
        let (rows, rank, columns) = (projection.outputWidth, projection.rank, projection.inputWidth)
        var expected: [Double] = []
        for i in 0..<bs.count {
            for j in (i + 1)..<bs.count {
                var sum = 0.0
                for row in 0..<rows {
                    for column in 0..<columns {
                        var value = 0.0
                        for k in 0..<rank { value += (bs[i][row * rank + k] - bs[j][row * rank + k]) * a[k * columns + column] }
                        sum += (projection.scale * value) * (projection.scale * value)
                    }
                }
                expected.append(sum.squareRoot())
            }
        }
        let found = report.layers[1].projections.first { $0.kind == .down }!.pairs.map(\.distance)
        assertClose(found, expected, rtol: 1e-10, "hydralora layer 1 down_proj")
    }

    @Test(arguments: ["hydralora", "moe-peft-mixlora"])
    func everyMetricMatchesTheNaivePath(name: String) throws {
        let adapter = try Self.adapter(name)
        for metric in RedundancyMetric.allCases {
            let options = RedundancyOptions(metric: metric, scaled: true, projections: Set(ProjectionKind.allCases), threadCount: 2)
            let report = try RedundancyAnalyzer.analyze(adapter, options: options)
            for projection in adapter.layers[2].projections where projection.expertCount > 1 {
                let fast = report.layers[2].projections.first { $0.kind == projection.kind }!
                let naive = try RedundancyAnalyzer.naiveDistances(projection, file: adapter.file, options: options)
                assertClose(fast.pairs.map(\.distance), naive.map(\.distance), rtol: 1e-8, "\(name) \(projection.label) \(metric)")
            }
        }
    }
}
