// Golden values from Tests/Fixtures/generate_fixtures.py (numpy, safetensors, torch): real
// torch.save and safetensors files, F32/F16/BF16, both key spellings, 12 experts in a layer, a
// whole-model trainer checkpoint, nearly equal and duplicated experts, a single expert. The
// distances there are dense float64 numpy; the Gram path must match them.
import Foundation
import MoLATestSupport
import Testing
import MoLAAnalysis
import MoLACheckpoint

@Suite struct GoldenFixtureTests {
    static let fixtures = ["small-2468-f32", "small-2468-f32-bin", "small-2468-f16", "small-2468-f16-bin", "small-2468-bf16",
                           "small-2468-bf16-bin", "twelve-experts-bin", "trainer-checkpoint/checkpoint-10", "near-duplicate", "one-expert"]

    @Test(arguments: fixtures)
    func structureMatchesTheGenerator(fixture: String) throws {
        let golden = try Fixtures.golden(fixture)
        let checkpoint = try Checkpoint(path: Fixtures.path(fixture))
        let adapter = checkpoint.adapter
        #expect(URL(fileURLWithPath: adapter.file.path).lastPathComponent == golden["file"] as? String)
        #expect(adapter.allocation.expertsPerLayer == golden["experts_per_layer"] as? [Int])
        #expect(adapter.layers.map(\.rank) == (golden["ranks_per_layer"] as? [Int])?.map { Optional($0) })
        #expect(adapter.tensorCount == golden["adapter_tensor_count"] as? Int)
        #expect(adapter.parameterCount == golden["adapter_parameter_count"] as? Int)
        #expect(adapter.alpha == 16)
        let dtype = golden["dtype"] as! String
        let names = Set(adapter.projections.flatMap { $0.experts.flatMap { [$0.a, $0.b] } })
        #expect(adapter.file.descriptions.filter { names.contains($0.name) }.allSatisfy { $0.dtype?.rawValue == dtype })
    }

    @Test(arguments: fixtures)
    func distancesMatchDenseNumpy(fixture: String) throws {
        let golden = try Fixtures.golden(fixture)
        let adapter = try Checkpoint(path: Fixtures.path(fixture)).adapter
        let expected = golden["projections"] as! [[String: Any]]
        for (key, metric, scaled) in [("delta", RedundancyMetric.delta, true), ("delta_unscaled", .delta, false),
                                      ("a", .a, true), ("b", .b, true)] {
            let report = try RedundancyAnalyzer.analyze(adapter, options: RedundancyOptions(
                metric: metric, scaled: scaled, projections: Set(ProjectionKind.allCases), threadCount: 2))
            let projections = report.layers.flatMap(\.projections)
            #expect(projections.count == expected.count)
            for (ours, theirs) in zip(projections, expected) {
                let context = "\(fixture) \(ours.layer) \(ours.kind.checkpointName) \(key)"
                #expect(ours.layer == theirs["layer"] as? Int, "\(context)")
                #expect(ours.kind.checkpointName == theirs["projection"] as? String, "\(context)")
                #expect(ours.expertCount == theirs["experts"] as? Int, "\(context)")
                let pairs = theirs[key] as! [[Double]]
                #expect(ours.pairs.map { [Double($0.first), Double($0.second)] } == pairs.map { [$0[0], $0[1]] }, "\(context)")
                assertClose(ours.pairs.map(\.distance), pairs.map { $0[2] }, rtol: 1e-6, atol: 0, context)
                if let mean = theirs[key + "_mean"] as? Double {
                    assertClose(ours.mean ?? .nan, mean, rtol: 1e-6, context)
                } else {
                    #expect(ours.mean == nil, "\(context)")
                }
            }
        }
    }

    @Test func twelveExpertsAreOrderedAsIntegers() throws {
        let adapter = try Checkpoint(path: Fixtures.path("twelve-experts-bin")).adapter
        let query = adapter.layers[0].projection(.query)!
        #expect(query.experts.map { Int($0.a.split(separator: "_").last!.split(separator: ".").first!)! } == Array(0..<12))
        #expect(adapter.allocation.expertsPerLayer == [12, 3])
    }

    @Test func trainerCheckpointIgnoresTheBaseWeights() throws {
        let adapter = try Checkpoint(path: Fixtures.path("trainer-checkpoint/checkpoint-10")).adapter
        #expect(adapter.ignoredTensorCount == 1 + 2 * 9 + 2)
        #expect(adapter.file.formatName == "torch.save")
    }

    @Test func viewsWithOffsetsAndStridesReadTheSameValues() throws {
        let contiguous = try Checkpoint(path: Fixtures.path("small-2468-f32")).adapter.file
        let views = try Checkpoint(path: Fixtures.path("small-2468-f32-bin")).adapter.file
        for name in ["base_model.model.model.layers.2.self_attn.q_proj.lora_A_3.weight",
                     "base_model.model.model.layers.3.self_attn.k_proj.lora_B_5.weight"] {
            let record = try views.record(named: name)
            #expect(record.storageOffset > 0 || !record.isContiguous, "\(name) should be a view")
            #expect(try record.doubles() == contiguous.record(named: name).doubles())
        }
    }

    @Test func nearlyEqualExpertsAgreeToOneInAMillionAndDuplicatesAreZero() throws {
        let expected = try Fixtures.golden("near-duplicate")["projections"] as! [[String: Any]]
        let adapter = try Checkpoint(path: Fixtures.path("near-duplicate")).adapter
        // The default options: the attention projections, the only ones the fixture has.
        let report = try RedundancyAnalyzer.analyze(adapter, options: RedundancyOptions())
        let projections = report.layers.flatMap(\.projections)
        #expect(projections.count == 8)
        #expect(projections.count == expected.count)
        for (ours, theirs) in zip(projections, expected) {
            let context = "\(ours.layer) \(ours.kind.checkpointName)"
            if ours.layer == 0 {
                // Experts 1 to 3 are expert 0 times (1 + 1e-4 noise): distances near 2e-4, to one in a million.
                #expect(ours.pairs.count == 6 && ours.pairs.allSatisfy { $0.distance > 0 }, "\(context)")
                assertClose(ours.pairs.map(\.distance), (theirs["delta"] as! [[Double]]).map { $0[2] }, rtol: 1e-6, atol: 0, context)
            } else {
                // Expert 3 is a copy of expert 2.
                #expect(ours.pairs.first { $0.first == 2 && $0.second == 3 }?.distance == 0, "\(context)")
            }
        }
    }
}
