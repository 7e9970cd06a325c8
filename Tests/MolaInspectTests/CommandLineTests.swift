// The command line as a user meets it: the built binary, its output, its exit status.
import Foundation
import MoLATestSupport
import Testing

@Suite final class CommandLineTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func checkpoint(poisoned: Bool = false) throws -> String {
        try writeTinyCheckpoint(in: scratch, name: "ckpt", experts: [2, 3], poisoned: poisoned)
    }

    private func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    @Test func helpAndUsage() throws {
        let help = try runMolaInspect(["--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("redundancy"))
        #expect(help.standardOutput.contains("info"))
        #expect(try runMolaInspect([]).status == 64)
        for command in ["info", "redundancy"] {
            let result = try runMolaInspect([command, "--help"])
            #expect(result.status == 0)
            #expect(result.standardOutput.hasPrefix("usage: mola-inspect \(command)"))
        }
    }

    @Test func usageMistakesExitWith64AndAHint() throws {
        let unknownOption = try runMolaInspect(["redundancy", "x", "--metrc", "a"])
        #expect(unknownOption.status == 64)
        #expect(unknownOption.standardError.hasPrefix("error: unknown option --metrc (did you mean --metric?)"))
        #expect(unknownOption.standardError.contains("hint: run `mola-inspect redundancy --help`"))
        #expect(try runMolaInspect(["frobnicate"]).status == 64)
        #expect(try runMolaInspect(["redundancy", try checkpoint(), "--json", "--csv"]).status == 64)
        #expect(try runMolaInspect(["redundancy", try checkpoint(), "--metric", "euclid"]).status == 64)  // cosine became a metric (issue 14)
        #expect(try runMolaInspect(["redundancy", try checkpoint(), "--projections", "qq_proj"]).status == 64)
        #expect(try runMolaInspect(["info"]).status == 64)
        #expect(try runMolaInspect(["info", try checkpoint(), "--top-k", "3"]).status == 64)  // layer 0 has 2 experts
    }

    @Test func missingCheckpointFails() throws {
        let result = try runMolaInspect(["info", scratch.path("nowhere")])
        #expect(result.status == 1)
        #expect(result.standardError == "error: no such file or directory (\(scratch.path("nowhere")))\n")
        #expect(result.standardOutput.isEmpty)
    }

    @Test func infoCardAsTableAndJSON() throws {
        let path = try checkpoint()
        let table = try runMolaInspect(["info", path])
        #expect(table.status == 0)
        #expect(table.standardOutput.contains("allocation            2,3 (MoLA-▽, inverted triangle)"))
        #expect(table.standardOutput.contains("top-K                 2 (reference default; the files do not record it)"))
        #expect(table.standardError.isEmpty)  // no progress bar off a terminal
        let card = try json(try runMolaInspect(["info", path, "--json", "--top-k", "1"]).standardOutput)
        #expect(card["format"] as? String == "safetensors")
        #expect(card["layer_count"] as? Int == 2)
        #expect((card["allocation"] as? [String: Any])?["experts_per_layer"] as? [Int] == [2, 3])
        #expect((card["top_k"] as? [String: Any])?["source"] as? String == "--top-k")
        // Per expert: q_proj 2 * (6 + 6) + 6 router; up_proj 2 * (6 + 10) + 6 router = 68; 5 experts.
        #expect(card["parameter_count"] as? Int == 68 * (2 + 3))
        #expect(card["base_model"] as? String == "tiny")
    }

    @Test func redundancyJSONFollowsTheDocumentedSchema() throws {
        let result = try runMolaInspect(["redundancy", try checkpoint(), "--projections", "all", "--json"])
        #expect(result.status == 0)
        let report = try json(result.standardOutput)
        #expect(report["metric"] as? String == "delta")
        #expect(report["scaled"] as? Bool == true)
        let layers = report["layers"] as! [[String: Any]]
        #expect(layers.map { $0["layer"] as! Int } == [0, 1])
        let projections = layers[1]["projections"] as! [String: Any]
        let query = projections["q_proj"] as! [String: Any]
        #expect(query["experts"] as? Int == 3)
        #expect(query["scale"] as? Double == 8)
        let pairs = query["pairs"] as! [[Double]]
        #expect(pairs.map { [$0[0], $0[1]] } == [[0, 1], [0, 2], [1, 2]])
        let mean = query["mean"] as! Double
        #expect(abs(mean - pairs.map { $0[2] }.reduce(0, +) / 3) <= 1e-12 * mean)
        #expect(layers[1]["attention_mean"] as? Double == mean)
        #expect(layers[1]["mlp_mean"] is Double)
        #expect(layers[1]["mean"] is Double)
    }

    @Test func csvHasOneRowPerPair() throws {
        let result = try runMolaInspect(["redundancy", try checkpoint(), "--projections", "all", "--csv", "--metric", "b"])
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.first == "layer,projection,expert_i,expert_j,distance,experts,rank,scale,metric,scaled")
        #expect(lines.count == 1 + 2 * 1 + 2 * 3)
        #expect(lines[1].hasPrefix("0,q_proj,0,1,"))
    }

    @Test func outputFileIsWrittenOnlyOnSuccess() throws {
        let path = try checkpoint()
        let output = scratch.path("result.json")
        #expect(try runMolaInspect(["redundancy", path, "--json", "--output", output]).status == 0)
        let good = try String(contentsOfFile: output, encoding: .utf8)
        #expect(good.contains("\"layers\""))
        // A failing run leaves the earlier result untouched and no temporary file behind.
        let failing = try runMolaInspect(["redundancy", scratch.path("missing"), "--json", "--output", output])
        #expect(failing.status == 1)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == good)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["ckpt", "result.json"])
        let unwritable = try runMolaInspect(["redundancy", path, "--output", scratch.path("no/such/dir/out.txt")])
        #expect(unwritable.status == 1)
        #expect(unwritable.standardError.hasPrefix("error: cannot write the output"))
    }

    @Test func nonFiniteValuesFailUnlessAllowed() throws {
        let path = try checkpoint(poisoned: true)
        let refused = try runMolaInspect(["redundancy", path])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("1 tensor hold NaN or infinite values: base_model.model.model.layers.0.self_attn.q_proj.lora_B_0.weight"))
        #expect(refused.standardError.contains("hint: pass --allow-nonfinite"))
        let allowed = try runMolaInspect(["redundancy", path, "--allow-nonfinite", "--json"])
        #expect(allowed.status == 0)
        #expect(allowed.standardOutput.contains("\"mean\": null"))
        let info = try runMolaInspect(["info", path])
        #expect(info.status == 0)
        #expect(info.standardOutput.contains("non-finite            1 tensor, listed below"))
    }

    @Test func maliciousPickleRunsNothing() throws {
        let marker = scratch.path("pwned")
        var pickle: [UInt8] = [0x80, 0x02]
        pickle += Array("cposix\nsystem\n".utf8)
        let command = "touch \(marker)"
        pickle += [0x58] + withUnsafeBytes(of: UInt32(command.utf8.count).littleEndian, Array.init) + Array(command.utf8)
        pickle += [0x85, 0x52, 0x2E]
        let path = try scratch.write(zipBytes([ZipRecord(name: "archive/data.pkl", data: pickle)]), to: "evil/adapter_model.bin")
        let result = try runMolaInspect(["info", path])
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("error: pickle refers to posix.system, which is not allowed in a checkpoint; nothing was run"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
