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
        // Throughput counts every token run through, at least those the loss counted.
        #expect((last["processed_tokens"] as? Int ?? 0) >= (last["tokens"] as? Int ?? .max))
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
        let chosen = try runMolaInspect(["eval", "--base", base, adapter, "--tasks", "2", "--max-new-tokens", "4", "--json",
                                         "--domains", "topic,sorting", "--fixed-options"])
        let chosenReport = try JSONSerialization.jsonObject(with: Data(chosen.standardOutput.utf8)) as! [String: Any]
        #expect(chosenReport["items"] as? Int == 4)
        #expect((chosenReport["groups"] as? [[String: Any]])?.map { $0["name"] as! String } == ["topic", "sorting"])
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
        let domains = try runMolaInspect(["train", "--base", base, "--allocation", "2", "--out", scratch.path("a"), "--tasks", "2",
                                          "--domains", "topic,topic"])
        #expect(domains.status == 64)
        #expect(domains.standardError.contains("--domains \"topic,topic\" is not a list of distinct domains from arithmetic, reversal, sorting, topic"))
        let unknownDomain = try runMolaInspect(["eval", "--base", base, "--tasks", "2", "--domains", "topic,poetry"])
        #expect(unknownDomain.status == 64 && unknownDomain.standardError.contains("--domains \"topic,poetry\""))
        let withoutTasks = try runMolaInspect(["eval", "--base", base, "--data", broken, "--fixed-options"])
        #expect(withoutTasks.status == 64)
        #expect(withoutTasks.standardError.contains("--domains, --fixed-options and --answers shape the generated tasks: give them with --tasks N"))
        let notLlama = try runMolaInspect(["train", "--base", scratch.path("nowhere"), "--allocation", "2", "--out", scratch.path("a")] + Self.small)
        #expect(notLlama.status == 1)
        #expect(notLlama.standardError.contains("is neither a Hugging Face model directory nor a .gguf file"))
        let diverging = try runMolaInspect(["train", "--base", base, "--allocation", "2", "--out", scratch.path("a"),
                                            "--tasks", "4", "--cutoff", "96", "--batch", "2", "--micro-batch", "2", "--steps", "30",
                                            "--lr", "1e30", "--warmup", "0"])
        #expect(diverging.status == 1, "\(diverging.standardError)")
        #expect(diverging.standardError.contains("NaN or infinite"))
        let written = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path("a"))) ?? []
        #expect(written.isEmpty, "\(written)")
    }
}

/// A run forced to diverge (a huge learning rate) stops before saving anything non-finite, and
/// what it says it kept is what is on disk.
@Suite final class DivergingRunTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static func finiteValues(_ path: String) throws -> Bool {
        let info = try runMolaInspect(["info", path, "--json"])
        let card = try JSONSerialization.jsonObject(with: Data(info.standardOutput.utf8)) as! [String: Any]
        return (card["non_finite"] as? [Any])?.isEmpty == true
    }

    @Test func theKeptCheckpointIsTheLastFiniteOne() throws {
        let base = scratch.path("base")
        #expect(try runMolaInspect(["train", "--pretrain", "--layers", "2", "--hidden", "32", "--mlp", "48", "--heads", "2", "--out", base]
                                   + TrainCommandTests.small).status == 0)
        let out = scratch.path("adapter")
        let diverging = try runMolaInspect(["train", "--base", base, "--allocation", "2", "--out", out, "--tasks", "4", "--cutoff", "96",
                                            "--batch", "2", "--micro-batch", "2", "--steps", "30", "--lr", "1e30", "--warmup", "0",
                                            "--save-every", "1"])
        #expect(diverging.status == 1, "\(diverging.standardError)")
        let said = try #require(diverging.standardError.components(separatedBy: "the checkpoint of step ").dropFirst().first
            .flatMap { Int($0.prefix { $0.isNumber }) }, "\(diverging.standardError)")
        #expect(diverging.standardError.contains("in --out is kept (\(out))"))
        // On disk: that step, in the state and the sidecar, and only finite values in the adapter and the moments.
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/trainer_state.json"))) as! [String: Any]
        #expect(state["step"] as? Int == said)
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/mola_config.json"))) as! [String: Any]
        #expect((sidecar["training"] as? [String: Any])?["step"] as? Int == said)
        #expect(try Self.finiteValues(out))
        // The kept checkpoint resumes (its state matches its parameters and its checksum) and diverges the same way.
        let resumed = try runMolaInspect(["train", "--base", base, "--allocation", "2", "--out", out, "--tasks", "4", "--cutoff", "96",
                                          "--batch", "2", "--micro-batch", "2", "--steps", "30", "--lr", "1e30", "--warmup", "0",
                                          "--save-every", "1", "--resume"])
        #expect(resumed.standardError.contains("resuming at step \(said) of 30"), "\(resumed.standardError)")
        #expect(resumed.standardError.contains("the checkpoint of step \(said) in --out is kept"), "\(resumed.standardError)")

        // Pretraining: RMSNorm keeps the loss finite on weights of 1e30, so it is the update that the
        // weight decay would overflow; it is refused by the weights it would make infinite.
        let pretrained = scratch.path("p")
        let pretraining = try runMolaInspect(["train", "--pretrain", "--layers", "1", "--hidden", "16", "--mlp", "16", "--heads", "2",
                                              "--tasks", "1", "--cutoff", "32", "--batch", "2", "--micro-batch", "2", "--steps", "5",
                                              "--lr", "1e30", "--warmup", "0", "--weight-decay", "10", "--save-every", "1", "--out", pretrained])
        #expect(pretraining.status == 1)
        #expect(pretraining.standardError.contains(" would make "), "\(pretraining.standardError)")
        #expect(pretraining.standardError.contains(" NaN or infinite (learning rate too large?); training stopped; the checkpoint of step "))
        let kept = try #require(pretraining.standardError.components(separatedBy: "the checkpoint of step ").dropFirst().first
            .flatMap { Int($0.prefix { $0.isNumber }) })
        let pretrainedState = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(pretrained)/trainer_state.json"))) as! [String: Any]
        #expect(pretrainedState["step"] as? Int == kept)
        #expect(try Self.safetensorsValuesAreFinite("\(pretrained)/model.safetensors"))
        #expect(try Self.safetensorsValuesAreFinite("\(pretrained)/trainer_state.safetensors"))
    }

    /// Whether every float32 value of a safetensors file (this trainer writes nothing else) is finite.
    static func safetensorsValuesAreFinite(_ path: String) throws -> Bool {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let data = bytes[(8 + headerLength)...]
        #expect(data.count % 4 == 0 && data.count > 0)
        return stride(from: data.startIndex, to: data.endIndex, by: 4).allSatisfy { offset in
            let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
            return Float(bitPattern: bits).isFinite
        }
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
