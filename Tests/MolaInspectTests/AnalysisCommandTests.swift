// spectrum, check, diff and the new redundancy metrics as a user meets them: the built binary,
// its output, its exit status, and nothing written when it fails.
import Foundation
import MoLATestSupport
import Testing

@Suite final class AnalysisCommandTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let example = Fixtures.repository.appendingPathComponent("examples/mola-tiny-2468").path

    /// One layer of q_proj with `experts` experts (rank 2, 6 -> 6); `edit` may change the tensors.
    private func checkpoint(_ name: String, experts: Int = 3,
                            edit: (inout [(name: String, shape: [Int], values: [Float])]) -> Void = { _ in }) throws -> String {
        // A fixed pseudo-random sequence (a 64-bit LCG), so this target needs no MoLATensor.
        var state: UInt64 = 7
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 500
        }
        let prefix = "base_model.model.model.layers.0.self_attn.q_proj"
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for expert in 0..<experts {
            tensors.append(("\(prefix).lora_A_\(expert).weight", [2, 6], (0..<12).map { _ in next() }))
            tensors.append(("\(prefix).lora_B_\(expert).weight", [6, 2], (0..<12).map { _ in next() * 0.1 }))
        }
        tensors.append(("\(prefix).router.router.weight", [experts, 6], (0..<(experts * 6)).map { _ in next() }))
        edit(&tensors)
        try scratch.write(safetensorsBytes(tensors: tensors), to: "\(name)/adapter_model.safetensors")
        try scratch.write(Array(#"{"peft_type": "LORA", "r": [2], "lora_alpha": 16}"#.utf8), to: "\(name)/adapter_config.json")
        return scratch.path(name)
    }

    @Test func checkExitsZeroOneTwoAndTellsFailuresApart() throws {
        let clean = try runMolaInspect(["check", Self.example])
        #expect(clean.status == 0, "\(clean.standardOutput)\(clean.standardError)")
        #expect(clean.standardOutput.contains("note: topk_covers_all layer 0 experts 0,1"), "\(clean.standardOutput)")

        let duplicated = try checkpoint("duplicated") { tensors in
            tensors[4].values = tensors[0].values   // A_2 = A_0
            tensors[5].values = tensors[1].values   // B_2 = B_0
        }
        let warned = try runMolaInspect(["check", duplicated, "--json"])
        #expect(warned.status == 1, "\(warned.standardError)")
        let report = try JSONSerialization.jsonObject(with: Data(warned.standardOutput.utf8)) as! [String: Any]
        let findings = report["findings"] as! [[String: Any]]
        let duplicate = try #require(findings.first { $0["kind"] as? String == "duplicate_experts" })
        #expect(duplicate["severity"] as? String == "warning" && duplicate["experts"] as? [Int] == [0, 2])
        #expect(duplicate["layer"] as? Int == 0 && duplicate["projection"] as? String == "q_proj")

        let untrained = try checkpoint("untrained") { tensors in tensors[3].values = tensors[3].values.map { _ in 0 } }
        let failed = try runMolaInspect(["check", untrained])
        #expect(failed.status == 2, "\(failed.standardError)")
        #expect(failed.standardOutput.contains("error: untrained_expert layer 0 q_proj experts 1:"), "\(failed.standardOutput)")

        let parallel = try checkpoint("parallel") { tensors in
            for column in 0..<6 { tensors[6].values[12 + column] = 2 * tensors[6].values[column] }
        }
        let routers = try runMolaInspect(["check", parallel])
        #expect(routers.status == 1 && routers.standardOutput.contains("warning: parallel_router_rows layer 0 q_proj experts 0,2"), "\(routers.standardOutput)")
        // A threshold above any cosine turns it off.
        #expect(try runMolaInspect(["check", parallel, "--router-cosine", "1.5"]).status == 0)

        // A failure also exits 1, but says error: and writes no report.
        let output = scratch.path("report.json")
        let missing = try runMolaInspect(["check", scratch.path("nothing"), "--json", "--output", output])
        #expect(missing.status == 1 && missing.standardOutput.isEmpty && missing.standardError.hasPrefix("error: "))
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try runMolaInspect(["check", Self.example, "--data", "x.txt"]).status == 64)
    }

    /// With a base and data, the routing kinds join in; the exit status follows the worst severity.
    @Test func checkWithRoutingAddsTheDataDrivenKinds() throws {
        let examples = Fixtures.repository.appendingPathComponent("examples").path
        let result = try runMolaInspect(["check", examples + "/mola-tiny-8888", "--base", examples + "/tiny-base",
                                         "--data", examples + "/sample-data.jsonl", "--json", "--max-tokens", "2000"])
        let report = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [String: Any]
        let findings = report["findings"] as! [[String: Any]]
        let kinds = Set(findings.compactMap { $0["kind"] as? String })
        #expect(!kinds.isDisjoint(with: ["never_selected", "overloaded", "collapsed_routing", "near_ties"]), "\(kinds)")
        let severities = Set(findings.compactMap { $0["severity"] as? String })
        let expected: Int32 = severities.contains("error") ? 2 : severities.contains("warning") ? 1 : 0
        #expect(result.status == expected, "\(result.standardError)")
        // A near-impossible entropy floor flags every multi-expert projection as collapsed.
        let strict = try runMolaInspect(["check", examples + "/mola-tiny-8888", "--base", examples + "/tiny-base",
                                         "--data", examples + "/sample-data.jsonl", "--max-tokens", "500", "--min-entropy", "1.01"])
        #expect(strict.status == 1 && strict.standardOutput.contains("warning: collapsed_routing layer 0 down_proj"), "\(strict.standardOutput)")
    }

    @Test func diffOfDifferentShapesNamesTheDifferenceAndWritesNothing() throws {
        let (three, four) = (try checkpoint("three"), try checkpoint("four", experts: 4))
        let output = scratch.path("diff.json")
        let result = try runMolaInspect(["diff", three, four, "--json", "--output", output])
        #expect(result.status == 1)
        #expect(result.standardError.contains("error: the checkpoints differ in shape: layer 0 q_proj has 3 experts in the first, 4 in the second"),
                "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let same = try runMolaInspect(["diff", three, three, "--json"])
        #expect(same.status == 0, "\(same.standardError)")
        let document = try JSONSerialization.jsonObject(with: Data(same.standardOutput.utf8)) as! [String: Any]
        let projection = ((document["layers"] as! [[String: Any]])[0]["projections"] as! [String: Any])["q_proj"] as! [String: Any]
        #expect(projection["permutation"] as? [Int] == [0, 1, 2])
        #expect((projection["matched"] as! [[Double]]).map { $0[2] } == [0, 0, 0])
        let figure = scratch.path("diff.png")
        #expect(try runMolaInspect(["plot", "diff", three, three, "-o", figure]).status == 0)
        #expect(FileManager.default.fileExists(atPath: figure))
    }

    @Test func redundancyMetricsAndTheirMistakes() throws {
        let subspace = try runMolaInspect(["redundancy", Self.example, "--metric", "subspace", "--side", "row", "--json"])
        #expect(subspace.status == 0, "\(subspace.standardError)")
        let document = try JSONSerialization.jsonObject(with: Data(subspace.standardOutput.utf8)) as! [String: Any]
        #expect(document["metric"] as? String == "subspace" && document["side"] as? String == "row")
        let q = ((document["layers"] as! [[String: Any]])[0]["projections"] as! [String: Any])["q_proj"] as! [String: Any]
        #expect((q["pairs"] as! [[Double]]).count == 1 && (q["principal_angles_degrees"] as! [[Double]])[0].count == 8)
        let misuse = try runMolaInspect(["redundancy", Self.example, "--metric", "cosine", "--side", "row"])
        #expect(misuse.status == 64 && misuse.standardError.contains("--side applies to --metric subspace only"))
        // One expert: no pairs, said, not an error.
        let single = try runMolaInspect(["redundancy", Fixtures.path("one-expert"), "--metric", "subspace", "--projections", "all"])
        #expect(single.status == 0 && single.standardOutput.contains("n/a: a layer with one expert has no pairs"), "\(single.standardError)")
        // A zero expert has no direction: named.
        let zero = try checkpoint("zero") { tensors in tensors[1].values = tensors[1].values.map { _ in 0 } }
        let output = scratch.path("cosine.json")
        let refused = try runMolaInspect(["redundancy", zero, "--metric", "cosine", "--json", "--output", output])
        #expect(refused.status == 1 && refused.standardError.contains("q_proj.lora_B_0.weight"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output))
        for metric in ["cosine", "subspace", "router"] {
            let figure = scratch.path("pairs-\(metric).svg")
            let plotted = try runMolaInspect(["plot", "pairs", Self.example, "--metric", metric, "-o", figure])
            #expect(plotted.status == 0, "\(plotted.standardError)")
            let svg = try String(contentsOfFile: figure, encoding: .utf8)
            #expect(svg.contains(metric == "subspace" ? "subspace similarity" : "cosine"), "\(metric)")
        }
    }

    @Test func spectrumReportsEveryExpert() throws {
        let result = try runMolaInspect(["spectrum", Self.example, "--projections", "q_proj", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let document = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [String: Any]
        let layers = document["layers"] as! [[String: Any]]
        #expect(layers.count == 8)
        let experts = ((layers[7]["projections"] as! [String: Any])["q_proj"] as! [String: Any])["experts"] as! [[String: Any]]
        #expect(experts.count == 8)
        #expect((experts[0]["singular_values"] as! [Double]).count == 8)
        let rank = experts[0]["effective_rank"] as! Double
        #expect(rank > 1 && rank <= 8)
        #expect(experts[0]["stable_rank"] is Double && experts[0]["top_share"] is Double && experts[0]["expert"] as? Int == 0)
        let zero = try checkpoint("zero") { tensors in tensors[1].values = tensors[1].values.map { _ in 0 } }
        let refused = try runMolaInspect(["spectrum", zero])
        #expect(refused.status == 1 && refused.standardError.contains("lora_B_0.weight") && refused.standardOutput.isEmpty)
        let figure = scratch.path("spectrum.png")
        #expect(try runMolaInspect(["plot", "spectrum", Self.example, "-o", figure]).status == 0)
    }
}
