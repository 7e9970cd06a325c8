// Rules with one owner, as a user meets them: every command resolves top-K through
// `TopKPolicy`, legends name the allocation itself (not a re-parsed display string), and `info`
// shows every field the trainer records in the sidecar.
import Foundation
import MoLATestSupport
import Testing

@Suite final class RuleOwnerTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    /// The tiny fixture base, declaring the byte-level tokenizer, and an adapter on it with one
    /// expert in layer 0 (plain LoRA there), trained for one step.
    private func baseAndSingleExpertAdapter() throws -> (base: String, adapter: String) {
        let base = scratch.path("base")
        try FileManager.default.copyItem(atPath: Fixtures.path("tiny-model/base"), toPath: base)
        try scratch.write(Array(#"{"tokenizer_class": "MoLAByteTokenizer"}"#.utf8), to: "base/tokenizer_config.json")
        let adapter = scratch.path("adapter")
        let trained = try runMolaInspect(["train", "--base", base, "--allocation", "1,2,3", "--tasks", "2", "--cutoff", "64",
                                          "--batch", "2", "--micro-batch", "2", "--steps", "1", "--seed", "3", "--lr", "0.002",
                                          "--balance-loss", "0.01", "--out", adapter])
        #expect(trained.status == 0, "\(trained.standardError)")
        return (base, adapter)
    }

    @Test func evalAndRoutingResolveTopKAlike() throws {
        let (base, adapter) = try baseAndSingleExpertAdapter()
        let data = try scratch.write(Array("some text to route\n".utf8), to: "data.txt")
        let routing = try runMolaInspect(["routing", "--base", base, adapter, "--data", data, "--top-k", "2", "--json"])
        #expect(routing.status == 0, "\(routing.standardError)")
        let report = try JSONSerialization.jsonObject(with: Data(routing.standardOutput.utf8)) as! [String: Any]
        #expect(report["top_k"] as? [Int] == [1, 2, 2])
        // Refused before the fix: "top-K 2 in layer 0, which has 1 experts".
        let evaluated = try runMolaInspect(["eval", "--base", base, adapter, "--tasks", "1", "--top-k", "2", "--max-new-tokens", "2", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.standardError)")
        let evaluation = try JSONSerialization.jsonObject(with: Data(evaluated.standardOutput.utf8)) as! [String: Any]
        #expect(evaluation["top_k"] as? [Int] == [1, 2, 2] && evaluation["top_k_source"] as? String == "--top-k")
        // More experts than a layer has is a usage mistake for both.
        for command in [["routing", "--data", data], ["eval", "--tasks", "1"]] {
            let refused = try runMolaInspect([command[0], "--base", base, adapter] + command.dropFirst() + ["--top-k", "3"])
            #expect(refused.status == 64, "\(command[0]): \(refused.standardError)")
            #expect(refused.standardError.contains("top-K 3 exceeds the 2 experts of layer 1"), "\(refused.standardError)")
        }
    }

    @Test func infoShowsEverySidecarField() throws {
        let (_, adapter) = try baseAndSingleExpertAdapter()
        let info = try runMolaInspect(["info", adapter, "--json"])
        #expect(info.status == 0, "\(info.standardError)")
        let card = try JSONSerialization.jsonObject(with: Data(info.standardOutput.utf8)) as! [String: Any]
        let training = try #require(card["training"] as? [String: Any])
        #expect(training["steps"] as? Int == 1 && training["step"] as? Int == 1 && training["seed"] as? Int == 3)
        #expect(training["batch"] as? Int == 2 && training["micro_batch"] as? Int == 2 && training["cutoff"] as? Int == 64)
        #expect(training["learning_rate"] as? Double == 0.002)
        #expect(card["balance_coefficient"] as? Double == 0.01)
        #expect((card["allocation"] as? [String: Any])?["experts_per_layer"] as? [Int] == [1, 2, 3])
        #expect(card["alpha_per_layer"] as? [Double] == [16, 16, 16])
        #expect((card["top_k"] as? [String: Any])?["per_layer"] as? [Int] == [1, 2, 2])
        let table = try runMolaInspect(["info", adapter])
        #expect(table.standardOutput.contains("step 1 of 1, learning rate 0.002, batch 2 (micro batch 2), cutoff 64, seed 3"),
                "\(table.standardOutput)")
        #expect(table.standardOutput.contains("coefficient 0.01"), "\(table.standardOutput)")
    }

    @Test func legendsNameAPerLayerAllocation() throws {
        let checkpoint = try writeTinyCheckpoint(in: scratch, name: "ad", experts: [1, 2])
        let saved = scratch.path("ad.json")
        #expect(try runMolaInspect(["redundancy", checkpoint, "--projections", "all", "--json", "--output", saved]).status == 0)
        for input in [checkpoint, saved] {
            let svgPath = scratch.path("legend.svg")
            let result = try runMolaInspect(["plot", "redundancy", input, "--projections", "all", "-o", svgPath])
            #expect(result.status == 0, "\(result.standardError)")
            let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
            // Before the fix the legend read "ad: 1)".
            #expect(svg.contains(": 1,2 (MoLA-▽)<"), "\(input)")
            #expect(!svg.contains(": 1)<"))
        }
    }
}
