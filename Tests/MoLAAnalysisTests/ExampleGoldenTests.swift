// Every metric of `redundancy` and the spectrum on the bundled examples (examples/mola-tiny-*)
// against dense float64 numpy: golden values from Tests/Fixtures/generate_examples_golden.py,
// committed under Tests/Fixtures/examples-golden/.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLAAnalysis
import MoLACheckpoint

@Suite struct ExampleGoldenTests {
    static let examples = ["mola-tiny-2468", "mola-tiny-5555", "mola-tiny-8888"]

    @Test(arguments: examples)
    func everyMetricMatchesNumpy(example: String) throws {
        let data = try Data(contentsOf: Fixtures.directory.appendingPathComponent("examples-golden/\(example).json"))
        let golden = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let adapter = try Checkpoint(path: Fixtures.repository.appendingPathComponent("examples/\(example)").path).adapter
        let kinds: Set<ProjectionKind> = [.query, .down]
        var reports: [String: RedundancyReport] = [:]
        for (key, metric, side) in [("delta", RedundancyMetric.delta, SubspaceSide.column), ("cosine", .cosine, .column),
                                    ("subspace", .subspace, .column), ("subspace_row", .subspace, .row), ("router", .router, .column)] {
            reports[key] = try RedundancyAnalyzer.analyze(adapter, options: RedundancyOptions(metric: metric, projections: kinds, threadCount: 2, side: side))
        }
        let spectrum = try SpectrumAnalyzer.analyze(adapter, projections: kinds, threadCount: 2)
        for entry in golden["projections"] as! [[String: Any]] {
            let layer = entry["layer"] as! Int
            let kind = ProjectionKind(checkpointName: entry["projection"] as! String)!
            let context = "\(example) layer \(layer) \(kind.checkpointName)"
            for (key, report) in reports {
                let projection = try #require(report.layers.first { $0.layer == layer }?.projections.first { $0.kind == kind })
                let expected = entry[key] as! [[Double]]
                #expect(projection.pairs.map { [Double($0.first), Double($0.second)] } == expected.map { [$0[0], $0[1]] }, "\(context) \(key)")
                assertClose(projection.pairs.map(\.distance), expected.map { $0[2] }, rtol: 1e-8, atol: 1e-12, "\(context) \(key)")
                if key == "subspace" {
                    let angles = entry["angles_degrees"] as! [[Double]]
                    for (ours, theirs) in zip(projection.principalAngles, angles) {
                        assertClose(ours.map(cos), theirs.map { cos($0 * Double.pi / 180) }, rtol: 0, atol: 1e-9, "\(context) angles")
                    }
                }
            }
            let experts = try #require(spectrum.layers.first { $0.layer == layer }?.projections.first { $0.kind == kind }).experts
            for (ours, theirs) in zip(experts, entry["spectrum"] as! [[String: Any]]) {
                assertClose(ours.singularValues, theirs["singular_values"] as! [Double], rtol: 1e-8, atol: 1e-12, "\(context) spectrum")
                let measures = try #require(ours.measures)
                assertClose([measures.effectiveRank, measures.stableRank, measures.topShare],
                            ["effective_rank", "stable_rank", "top_share"].map { theirs[$0] as! Double }, rtol: 1e-8, "\(context) measures")
            }
        }
    }
}
