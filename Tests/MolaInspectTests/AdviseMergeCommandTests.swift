// `advise` and `merge` as a user meets them: the built binary, its output and exit status, the
// merged checkpoint read back by the other commands, and refusals that write nothing. AlphaLoRA's
// allocation on Tests/Fixtures/alphalora/base is the authors' own, from
// Tests/Fixtures/generate_alphalora_golden.py (golden.json there).
import Foundation
import MoLATestSupport
import Testing

@Suite final class AdviseMergeCommandTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let example8888 = Fixtures.repository.appendingPathComponent("examples/mola-tiny-8888").path
    static let tinyBase = Fixtures.repository.appendingPathComponent("examples/tiny-base").path

    static func json(_ result: CommandResult) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [String: Any]
    }

    /// MoE-PEFT MixLoRA: plain LoRA on q and v, experts in the feed-forward block. The distances
    /// come from the block's expert projections, and the entropy from its router alone (a
    /// one-expert projection's entropy of 1 says nothing).
    @Test func adviseOnMixLoRAReadsTheFeedForwardExperts() throws {
        let adapter = Fixtures.path("frameworks/moe-peft-mixlora"), base = Fixtures.path("tiny-model/base")
        let tokens = try scratch.write(Array("[[5, 9, 12, 3, 44, 17, 8, 2, 30, 11, 6, 21, 7, 13, 4, 19]]".utf8), to: "tokens.json")
        let advice = try runMolaInspect(["advise", adapter, "--base", base, "--tokens", tokens, "--json"])
        #expect(advice.status == 0, "\(advice.standardError)")
        let routing = try runMolaInspect(["routing", "--base", base, adapter, "--tokens", tokens, "--json"])
        #expect(routing.status == 0, "\(routing.standardError)")
        let layers = try #require(try Self.json(advice)["layers"] as? [[String: Any]])
        let routed = try #require(try Self.json(routing)["layers"] as? [[String: Any]])
        #expect(layers.count == 3 && routed.count == 3)
        for (layer, routedLayer) in zip(layers, routed) {
            let evidence = try #require(layer["evidence"] as? [String: Any])
            #expect((evidence["relative_distance"] as? Double ?? 0) > 0, "\(evidence)")
            let projections = try #require(routedLayer["projections"] as? [String: [String: Any]])
            let block = try #require(projections["mlp"])
            assertClose(try #require(evidence["normalised_entropy"] as? Double), try #require(block["normalised_entropy"] as? Double),
                        rtol: 1e-12, atol: 1e-12, "layer \(layer["layer"] ?? "?")")
        }
    }

    @Test func adviseFromACheckpointKeepsTheTotalAndShowsItsEvidence() throws {
        let result = try runMolaInspect(["advise", Self.example8888, "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let advice = try Self.json(result)
        #expect(advice["method"] as? String == "redundancy" && advice["total"] as? Int == 64)
        let allocation = try #require(advice["allocation"] as? [Int])
        #expect(allocation.count == 8 && allocation.reduce(0, +) == 64 && allocation.allSatisfy { $0 >= 1 })
        let layers = try #require(advice["layers"] as? [[String: Any]])
        let evidence = try #require(layers.first?["evidence"] as? [String: Any])
        #expect(layers.first?["experts"] as? Int == allocation[0])
        #expect(evidence["relative_distance"] is Double && evidence["experts_now"] as? Int == 8)

        let table = try runMolaInspect(["advise", Self.example8888, "--total", "16"])
        #expect(table.status == 0)
        #expect(table.standardOutput.contains("reference code: --number_experts "), "\(table.standardOutput)")
        #expect(table.standardOutput.contains("16 experts over 8 layers"))
    }

    @Test func alphaLoRAMatchesTheAuthorsCodeAndTrainTakesItsList() throws {
        let golden = try Fixtures.golden("alphalora")
        let first = try #require((golden["allocations"] as? [[String: Any]])?.first)
        let base = Fixtures.path("alphalora/base")
        let result = try runMolaInspect(["advise", "--from-base", base, "--method", "alphalora", "--total", "\(first["total"] as! Int)", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let advice = try Self.json(result)
        #expect(advice["allocation"] as? [Int] == first["experts"] as? [Int])
        #expect(advice["method"] as? String == "alphalora" && advice["window"] as? String == "reference" && advice["rounding"] as? String == "reference")

        // The list as printed goes straight into train --allocation.
        let printed = try runMolaInspect(["advise", "--from-base", Self.tinyBase])
        #expect(printed.status == 0, "\(printed.standardError)")
        let line = try #require(printed.standardOutput.split(separator: "\n").first { $0.hasPrefix("per layer:") })
        let list = String(line.split(separator: " ", omittingEmptySubsequences: true)[2])
        let trained = try runMolaInspect(["train", "--base", Self.tinyBase, "--allocation", list, "--tasks", "1", "--steps", "1", "--batch", "2",
                                          "--micro-batch", "2", "--cutoff", "48", "--out", scratch.path("advised")])
        #expect(trained.status == 0, "\(trained.standardError)")
        let info = try runMolaInspect(["info", scratch.path("advised"), "--json"])
        #expect(((try Self.json(info)["allocation"] as? [String: Any])?["experts_per_layer"] as? [Int])?.map(String.init).joined(separator: ",") == list)
    }

    @Test func adviseRefusesWhatItCannotFitAndWritesNothing() throws {
        let report = scratch.path("advice.json")
        let small = try runMolaInspect(["advise", "--from-base", Fixtures.path("gguf/tiny-llama-hf"), "--output", report])
        #expect(small.status == 1)
        #expect(small.standardError.contains("fewer than the 32 a power-law fit needs; not fitted"), "\(small.standardError)")
        #expect(!FileManager.default.fileExists(atPath: report))

        let total = try runMolaInspect(["advise", "--from-base", Fixtures.path("alphalora/base"), "--total", "3", "--output", report])
        #expect(total.status == 1)
        #expect(total.standardError.contains("a total of 3 experts is fewer than the 4 layers"), "\(total.standardError)")
        let fromCheckpoint = try runMolaInspect(["advise", Self.example8888, "--total", "7"])
        #expect(fromCheckpoint.status == 1 && fromCheckpoint.standardError.contains("fewer than the 8 layers"))
        #expect(!FileManager.default.fileExists(atPath: report))

        let mixed = try runMolaInspect(["advise", Self.example8888, "--method", "alphalora"])
        #expect(mixed.status == 64 && mixed.standardError.contains("--method alphalora needs --from-base BASE"))
    }

    @Test func mergeWritesACheckpointTheOtherCommandsRead() throws {
        let out = scratch.path("merged")
        let result = try runMolaInspect(["merge", Self.example8888, "--to", "5555", "-o", out, "--format", "bin", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let report = try Self.json(result)
        #expect(report["experts_after"] as? [Int] == [Int](repeating: 5, count: 8) && report["weighting"] as? String == "equal")
        let layer = try #require((report["layers"] as? [[String: Any]])?.first)
        let query = try #require((layer["projections"] as? [String: Any])?["q_proj"] as? [String: Any])
        #expect((query["groups"] as? [[Int]])?.count == 5)
        #expect((query["relative_errors"] as? [Any])?.compactMap { $0 as? Double }.allSatisfy { $0 >= 0 && $0 < 1 } == true)
        #expect(FileManager.default.fileExists(atPath: "\(out)/adapter_model.bin") && FileManager.default.fileExists(atPath: "\(out)/mola_config.json"))

        let info = try runMolaInspect(["info", out, "--json"])
        #expect((try Self.json(info)["allocation"] as? [String: Any])?["experts_per_layer"] as? [Int] == [Int](repeating: 5, count: 8))
        #expect(try runMolaInspect(["check", out]).status == 0)
        let evaluated = try runMolaInspect(["eval", "--base", Self.tinyBase, out, "--tasks", "1", "--max-new-tokens", "2", "--length", "96"])
        #expect(evaluated.status == 0, "\(evaluated.standardError)")
        let threshold = try runMolaInspect(["merge", Self.example8888, "--threshold", "1e9", "-o", scratch.path("one")])
        #expect(threshold.status == 0, "\(threshold.standardError)")
        #expect(threshold.standardOutput.contains("-> 1111 (MoLA-□)"), "\(threshold.standardOutput)")
    }

    @Test func mergeWithABaseComparesTheAdaptersAndRoutesTheResult() throws {
        let base = Fixtures.path("tiny-model/base"), adapter = Fixtures.path("tiny-model/adapter")
        let tokens = try scratch.write(Array("[[\((1...40).map(String.init).joined(separator: ","))]]".utf8), to: "tokens.json")
        let out = scratch.path("merged")
        let result = try runMolaInspect(["merge", adapter, "--to", "1,2,2", "-o", out, "--base", base, "--tokens", tokens, "--length", "16", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let report = try Self.json(result)
        #expect(report["weighting"] as? String == "routing")
        let evaluation = try #require(report["evaluation"] as? [String: Any])
        #expect((evaluation["mean_kl"] as? Double ?? -1) >= 0 && (evaluation["perplexity_merged"] as? Double ?? 0) > 1)
        #expect(evaluation["tokens"] as? Int == 37)
        let routed = try runMolaInspect(["routing", "--base", base, out, "--tokens", tokens, "--length", "16"])
        #expect(routed.status == 0, "\(routed.standardError)")
        // Merging to the allocation it has is the identity: no divergence, one perplexity.
        let same = try runMolaInspect(["merge", adapter, "--to", "2,4,3", "-o", scratch.path("same"), "--base", base, "--tokens", tokens,
                                       "--length", "16", "--json"])
        let identity = try #require(try Self.json(same)["evaluation"] as? [String: Any])
        #expect(abs(identity["mean_kl"] as? Double ?? 1) < 1e-9)
        assertClose(identity["perplexity_merged"] as? Double ?? 0, identity["perplexity_original"] as? Double ?? 1, rtol: 1e-9)
        assertClose(identity["perplexity_original"] as? Double ?? 0, evaluation["perplexity_original"] as? Double ?? 1, rtol: 1e-12)
    }

    @Test func mergeRefusesBadTargetsAndNeverTouchesItsInput() throws {
        let out = scratch.path("never")
        let tooMany = try runMolaInspect(["merge", Self.example8888, "--to", "9999", "-o", out])
        #expect(tooMany.status == 1)
        #expect(tooMany.standardError.contains("the target gives layer 0 9 experts, but the checkpoint has only 8 there"), "\(tooMany.standardError)")
        let length = try runMolaInspect(["merge", Self.example8888, "--to", "5,5", "-o", out])
        #expect(length.status == 64 && length.standardError.contains("--to lists 2 layers but the checkpoint has 8"), "\(length.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out))

        // Output onto the input: refused before anything is read or written.
        let copy = scratch.path("copy")
        try FileManager.default.copyItem(atPath: Self.example8888, toPath: copy)
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(copy)/adapter_model.safetensors"))
        let same = try runMolaInspect(["merge", copy, "--to", "5555", "-o", copy])
        #expect(same.status == 1)
        #expect(same.standardError.contains("replace"), "\(same.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(copy)/adapter_model.safetensors")) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.contains("staging") }
        #expect(leftovers.isEmpty)

        let occupied = try scratch.write(Array("{}".utf8), to: "occupied/adapter_config.json")
        let taken = try runMolaInspect(["merge", Self.example8888, "--to", "5555", "-o", scratch.path("occupied")])
        #expect(taken.status == 1 && taken.standardError.contains("already holds a checkpoint"), "\(taken.standardError)")
        #expect(try String(contentsOfFile: occupied, encoding: .utf8) == "{}")

        let both = try runMolaInspect(["merge", Self.example8888, "--to", "5555", "--threshold", "1", "-o", out])
        #expect(both.status == 64 && both.standardError.contains("give one of --to ALLOCATION and --threshold D"))
    }
}
