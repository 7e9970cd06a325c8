// `mola-inspect train` as a user meets it: pretrain, fine-tune, read the result back; refusals.
import Foundation
import MoLATestSupport
import Testing

@Suite final class TrainCommandTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let small = ["--tasks", "4", "--cutoff", "96", "--batch", "4", "--micro-batch", "2", "--steps", "6", "--lr", "3e-3"]

    @Test func pretrainThenFineTuneThenInspect() throws {
        let base = scratch.path("base")
        let pretrained = try runMolaInspect(["train", "--pretrain", "--layers", "2", "--hidden", "32", "--mlp", "48", "--heads", "2",
                                             "--out", base, "--json"] + Self.small)
        #expect(pretrained.status == 0, "\(pretrained.standardError)")
        let lines = pretrained.standardOutput.split(separator: "\n")
        #expect(lines.count == 6)
        let last = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as! [String: Any]
        #expect(last["step"] as? Int == 6 && last["loss"] is Double)
        for file in ["config.json", "model.safetensors", "tokenizer_config.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(base)/\(file)"), "\(file)")
        }
        let adapter = scratch.path("adapter")
        let tuned = try runMolaInspect(["train", "--base", base, "--allocation", "2,4", "--balance-loss", "0.001", "--format", "bin",
                                        "--out", adapter] + Self.small)
        #expect(tuned.status == 0, "\(tuned.standardError)")
        let info = try runMolaInspect(["info", adapter, "--json"])
        let card = try JSONSerialization.jsonObject(with: Data(info.standardOutput.utf8)) as! [String: Any]
        #expect(card["format"] as? String == "torch.save")
        #expect((card["allocation"] as? [String: Any])?["experts_per_layer"] as? [Int] == [2, 4])
        #expect((card["top_k"] as? [String: Any])?["source"] as? String == "mola_config.json")
        #expect(try runMolaInspect(["redundancy", adapter]).status == 0)
        // Routing runs on the pair, through the byte tokenizer the base declares.
        let data = try scratch.write(Array("one line of text\nanother line\n".utf8), to: "data.txt")
        #expect(try runMolaInspect(["routing", "--base", base, adapter, "--data", data, "--length", "32"]).status == 0)
        // Evaluation by generation, per synthetic domain.
        let evaluated = try runMolaInspect(["eval", "--base", base, adapter, "--tasks", "2", "--max-new-tokens", "4", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.standardError)")
        let report = try JSONSerialization.jsonObject(with: Data(evaluated.standardOutput.utf8)) as! [String: Any]
        #expect(report["items"] as? Int == 8)
        #expect((report["groups"] as? [[String: Any]])?.map { $0["name"] as! String } == ["arithmetic", "reversal", "sorting", "topic"])
    }

    @Test func refusals() throws {
        let base = scratch.path("base")
        #expect(try runMolaInspect(["train", "--pretrain", "--layers", "2", "--hidden", "32", "--mlp", "48", "--heads", "2", "--out", base] + Self.small).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(base)/model.safetensors"))
        let again = try runMolaInspect(["train", "--pretrain", "--layers", "2", "--hidden", "32", "--mlp", "48", "--heads", "2", "--out", base] + Self.small)
        #expect(again.status == 1)
        #expect(again.standardError.contains("already holds a checkpoint"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(base)/model.safetensors")) == before)
        let unknown = try runMolaInspect(["train", "--base", base, "--allocation", "2x4", "--out", scratch.path("a")] + Self.small)
        #expect(unknown.status == 64)
        #expect(unknown.standardError.contains("--allocation \"2x4\" is neither"))
        let length = try runMolaInspect(["train", "--base", base, "--allocation", "2,2,2", "--out", scratch.path("a")] + Self.small)
        #expect(length.standardError.contains("--allocation lists 3 layers but the base has 2"))
        let broken = try scratch.write(Array("{\"instruction\": \"x\", \"output\": \"y\"}\nnot json\n".utf8), to: "bad.jsonl")
        let parse = try runMolaInspect(["train", "--base", base, "--allocation", "2", "--data", broken, "--out", scratch.path("a"), "--steps", "2"])
        #expect(parse.status == 1)
        #expect(parse.standardError.contains("invalid JSON (\(broken), line 2)"))
        let empty = try scratch.write([], to: "empty.txt")
        let noData = try runMolaInspect(["train", "--base", base, "--allocation", "2", "--data", empty, "--out", scratch.path("a"), "--steps", "2"])
        #expect(noData.status == 1)
        #expect(noData.standardError.contains("the data file holds no examples"))
        let notLlama = try runMolaInspect(["train", "--base", scratch.path("nowhere"), "--allocation", "2", "--out", scratch.path("a")] + Self.small)
        #expect(notLlama.status == 1)
        #expect(notLlama.standardError.contains("is not a Hugging Face model directory"))
        let diverging = try runMolaInspect(["train", "--base", base, "--allocation", "2", "--out", scratch.path("a"),
                                            "--tasks", "4", "--cutoff", "96", "--batch", "2", "--micro-batch", "2", "--steps", "30",
                                            "--lr", "1e30", "--warmup", "0"])
        #expect(diverging.status == 1, "\(diverging.standardError)")
        #expect(diverging.standardError.contains("NaN or infinite"))
        let written = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path("a"))) ?? []
        #expect(written.isEmpty, "\(written)")
    }
}

@Suite final class ResumeTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static func command(_ out: String) -> [String] {
        ["train", "--pretrain", "--layers", "2", "--hidden", "32", "--mlp", "48", "--heads", "2", "--tasks", "6", "--cutoff", "96",
         "--batch", "4", "--micro-batch", "2", "--steps", "12", "--lr", "3e-3", "--save-every", "2", "--json", "--threads", "2", "--out", out]
    }

    static func losses(_ output: String) throws -> [Int: Double] {
        var result: [Int: Double] = [:]
        for line in output.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            result[object["step"] as! Int] = object["loss"] as? Double
        }
        return result
    }

    /// Kill -9 a run mid-way, resume it: the same losses and the same final weights as a run
    /// that was never interrupted.
    @Test func aKilledAndResumedRunEndsLikeAnUninterruptedOne() throws {
        let whole = scratch.path("whole")
        let uninterrupted = try runMolaInspect(Self.command(whole))
        #expect(uninterrupted.status == 0, "\(uninterrupted.standardError)")
        let reference = try Self.losses(uninterrupted.standardOutput)

        let cut = scratch.path("cut")
        let process = Process()
        process.executableURL = molaInspectBinary
        process.arguments = Self.command(cut)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("\"step\": 5,") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let resumed = try runMolaInspect(Self.command(cut) + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        // It resumes from a saved step inside the run and takes only the steps after it (a run
        // started again from step 0 would print the same losses and end with the same weights).
        let resumedAt = try #require(resumed.standardError.components(separatedBy: "resuming at step ").dropFirst().first
            .flatMap { Int($0.prefix { $0.isNumber }) }, "\(resumed.standardError)")
        #expect(resumedAt > 0 && resumedAt < 12, "resumed at step \(resumedAt)")
        let continued = try Self.losses(resumed.standardOutput)
        #expect(continued.keys.sorted() == Array(stride(from: resumedAt + 1, through: 12, by: 1)))
        for (step, loss) in continued { #expect(loss == reference[step], "step \(step)") }
        let a = try Data(contentsOf: URL(fileURLWithPath: "\(whole)/model.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: "\(cut)/model.safetensors"))
        #expect(a == b)
    }

    @Test func resumingWithOtherOptionsIsRefused() throws {
        let out = scratch.path("run")
        #expect(try runMolaInspect(Self.command(out)).status == 0)
        // The same values spelled differently, or a default given explicitly, are the same run.
        let respelled = try runMolaInspect(Self.command(out).map { $0 == "3e-3" ? "0.003" : $0 } + ["--weight-decay", "0.0", "--resume"])
        #expect(respelled.status == 0, "\(respelled.standardError)")
        #expect(respelled.standardError.contains("resuming at step 12 of 12"))
        let changed = try runMolaInspect(Self.command(out).map { $0 == "3e-3" ? "1e-3" : $0 } + ["--resume"])
        #expect(changed.status == 1)
        #expect(changed.standardError.contains("the run to resume used a different configuration"))
        let nothing = try runMolaInspect(Self.command(scratch.path("empty")) + ["--resume"])
        #expect(nothing.status == 1)
    }
}
