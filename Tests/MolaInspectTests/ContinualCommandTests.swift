// `mola-inspect continual` on the tiny GGUF base: what it writes, that its first adapter is the one
// `train` makes on that domain alone, that its scores are the ones `eval` gives each saved
// adapter, and its refusals (nothing written).
import Foundation
import MoLATestSupport
import Testing

@Suite final class ContinualCommandTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let base = Fixtures.path("gguf/tiny-llama-q8_0.gguf")
    /// The tiny base's context is 64 tokens; one thread, so runs are bit-for-bit repeatable.
    static let training = ["--allocation", "2", "--answers", "label", "--cutoff", "64", "--batch", "4", "--micro-batch", "2",
                           "--steps", "3", "--lr", "3e-3", "--threads", "1"]
    static let scoring = ["--max-new-tokens", "6", "--length", "64"]

    static func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    @Test func runsEveryDomainAndAgreesWithTrainAndEval() throws {
        let out = scratch.path("run")
        let run = try runMolaInspect(["continual", "--base", Self.base, "--domains", "topic,sorting", "--tasks", "8", "--questions", "3",
                                      "--out", out, "--json"] + Self.training + Self.scoring)
        #expect(run.status == 0, "\(run.standardError)")
        let report = try Self.json(run.standardOutput)
        #expect(report["domains"] as? [String] == ["topic", "sorting"])
        #expect(report["questions"] as? [Int] == [3, 3])
        let rows = try #require(report["R"] as? [[Double]])
        #expect(rows.count == 2 && rows.allSatisfy { $0.count == 2 })
        let runs = try #require(report["runs"] as? [[String: Any]])
        #expect(runs.map { $0["checkpoint"] as? String } == ["1-topic", "2-sorting"])
        #expect(runs.allSatisfy { $0["steps"] as? Int == 3 })
        // The report on disk is the one printed.
        #expect(try Self.json(String(contentsOfFile: "\(out)/continual.json", encoding: .utf8))["R"] as? [[Double]] == rows)
        // The first domain's adapter is what train makes on that domain alone with the same options.
        let alone = scratch.path("alone")
        let trained = try runMolaInspect(["train", "--base", Self.base, "--tasks", "8", "--domains", "topic", "--out", alone] + Self.training)
        #expect(trained.status == 0, "\(trained.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(alone)/adapter_model.safetensors"))
                == Data(contentsOf: URL(fileURLWithPath: "\(out)/1-topic/adapter_model.safetensors")))
        // Each row is what eval scores on that row's saved adapter, each domain's questions drawn
        // on their own (eval --domains D).
        for (index, name) in ["1-topic", "2-sorting"].enumerated() {
            let accuracies = try ["topic", "sorting"].map { domain -> Double? in
                let evaluated = try runMolaInspect(["eval", "--base", Self.base, "\(out)/\(name)", "--tasks", "3", "--domains", domain,
                                                    "--answers", "label", "--seed", "7", "--threads", "1", "--json"] + Self.scoring)
                #expect(evaluated.status == 0, "\(evaluated.standardError)")
                return try Self.json(evaluated.standardOutput)["accuracy"] as? Double
            }
            #expect(accuracies == rows[index].map { $0 }, "\(name)")
            #expect(try runMolaInspect(["check", "\(out)/\(name)"]).status == 0)
        }
        // A second run into the same place is refused, and --overwrite replaces it.
        let again = try runMolaInspect(["continual", "--base", Self.base, "--domains", "topic,sorting", "--tasks", "8", "--questions", "3",
                                        "--out", out] + Self.training + Self.scoring)
        #expect(again.status == 1 && again.standardError.contains("already holds a continual run"), "\(again.standardError)")
        let replaced = try runMolaInspect(["continual", "--base", Self.base, "--domains", "topic,sorting", "--tasks", "8", "--questions", "3",
                                           "--out", out, "--overwrite"] + Self.training + Self.scoring)
        #expect(replaced.status == 0, "\(replaced.standardError)")
        #expect(replaced.standardOutput.contains("overall performance (OP)"))
    }

    @Test func fileDomainsAreSplitIntoTrainingAndQuestions() throws {
        let record = { (index: Int) in
            "{\"instruction\": \"Say the number.\", \"input\": \"\(index)\", \"output\": \"Answer: \(index % 10)\", \"answer\": \"\(index % 10)\"}"
        }
        let first = try scratch.write(Array((0..<10).map(record).joined(separator: "\n").utf8), to: "first.jsonl")
        let second = try scratch.write(Array("[\((10..<15).map(record).joined(separator: ", "))]".utf8), to: "second.json")
        let run = try runMolaInspect(["continual", "--base", Self.base, "--domains", "\(first),\(second)", "--held-out", "0.3",
                                      "--out", scratch.path("files"), "--json"] + Self.training.filter { $0 != "--answers" && $0 != "label" } + Self.scoring)
        #expect(run.status == 0, "\(run.standardError)")
        let report = try Self.json(run.standardOutput)
        #expect(report["domains"] as? [String] == ["first", "second"])
        #expect(report["questions"] as? [Int] == [3, 2])
    }

    @Test func refusalsWriteNothing() throws {
        let out = scratch.path("refused")
        let unanswered = try scratch.write(Array("{\"instruction\": \"i\", \"input\": \"\", \"output\": \"o\"}\n{\"instruction\": \"j\", \"input\": \"\", \"output\": \"p\"}\n".utf8),
                                           to: "unanswered.jsonl")
        let tiny = try scratch.write(Array("{\"instruction\": \"i\", \"input\": \"\", \"output\": \"o\", \"answer\": \"o\"}\n".utf8), to: "tiny.jsonl")
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["--domains", "topic", "--allocation", "2"], 64, "at least two"),
            (["--domains", "topic,sorting,Topic", "--allocation", "2"], 64, "names topic twice"),
            (["--domains", "topic,geology", "--allocation", "2"], 64, "is not a comma-separated list"),
            (["--domains", "topic,\(unanswered)", "--allocation", "2"], 1, "answer"),
            (["--domains", "topic,\(tiny)", "--allocation", "2"], 1, "too few"),
            (["--domains", "topic,sorting"], 64, "missing --allocation"),
            (["--domains", "topic,sorting", "--allocation", "2,2,2"], 64, "lists 3 layers"),
            (["--domains", "topic,sorting", "--allocation", "2", "--top-k", "3"], 64, "--top-k 3 exceeds"),
        ]
        for (arguments, status, message) in cases {
            let result = try runMolaInspect(["continual", "--base", Self.base, "--out", out, "--steps", "1",
                                             "--cutoff", "64", "--length", "64", "--threads", "1"] + arguments)
            #expect(result.status == status, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(arguments) wrote \(out)")
        }
        // A run that diverges stops, says nothing was written, and writes nothing.
        let diverging = try runMolaInspect(["continual", "--base", Self.base, "--out", out, "--domains", "topic,sorting", "--allocation", "2",
                                            "--tasks", "4", "--steps", "2", "--lr", "1e30", "--warmup", "0", "--cutoff", "64", "--length", "64",
                                            "--threads", "1"])
        #expect(diverging.status == 1 && diverging.standardError.contains("nothing was written"), "\(diverging.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out))
        // No staging directory is left beside the output either.
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path("")).filter { $0.contains("staging") }
        #expect(left.isEmpty, "\(left)")
    }
}
