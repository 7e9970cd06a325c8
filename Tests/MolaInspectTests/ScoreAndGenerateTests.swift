// `tokenize`, `score` and `generate` as a user meets them, on the bundled tiny base (byte
// tokenizer, 256 positions) and its 2468 adapter.
import Foundation
import MoLATestSupport
import Testing

@Suite final class ScoreAndGenerateTests {
    static let base = Fixtures.repository.appendingPathComponent("examples/tiny-base").path
    static let adapter = Fixtures.repository.appendingPathComponent("examples/mola-tiny-2468").path
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func json(_ result: CommandResult) throws -> Any {
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
    }

    @Test func tokenizeListsIdsAndPieces() throws {
        let document = try json(try runMolaInspect(["tokenize", "--base", Self.base, "Hi é", "--json"])) as! [String: Any]
        #expect(document["tokenizer"] as? String == "MoLAByteTokenizer")
        #expect(document["ids"] as? [Int] == [256, 72, 105, 32, 195, 169])
        #expect(document["pieces"] as? [String] == ["<bos>", "<0x48>", "<0x69>", "<0x20>", "<0xC3>", "<0xA9>"])
        let table = try runMolaInspect(["tokenize", "--base", Self.base, "Hi"])
        #expect(table.status == 0)
        #expect(table.standardOutput.hasSuffix("3 tokens (MoLAByteTokenizer)\n"))
    }

    @Test func scoreReportsEachTokenTheLikelihoodAndThePerplexity() throws {
        let texts = try json(try runMolaInspect(["score", "--base", Self.base, "--text", "The answer is A.", "--text", "ab",
                                                 "--top", "3", "--json"])) as! [[String: Any]]
        #expect(texts.count == 2)
        let tokens = texts[0]["tokens"] as! [[String: Any]]
        #expect(tokens.count == 17)
        #expect(tokens[0]["logprob"] is NSNull && tokens[0]["top"] is NSNull)
        let logProbabilities = tokens.dropFirst().map { $0["logprob"] as! Double }
        #expect(logProbabilities.allSatisfy { $0 < 0 })
        let likelihood = texts[0]["log_likelihood"] as! Double
        assertClose(likelihood, logProbabilities.reduce(0, +), rtol: 1e-9, "log-likelihood")
        assertClose(texts[0]["perplexity"] as! Double, exp(-likelihood / 16), rtol: 1e-9, "perplexity")
        for token in tokens.dropFirst() {
            let top = token["top"] as! [[String: Any]]
            #expect(top.count == 3)
            let values = top.map { $0["logprob"] as! Double }
            #expect(values == values.sorted(by: >))
            #expect(values[0] >= token["logprob"] as! Double)
        }
        #expect((texts[0]["next"] as! [[String: Any]]).count == 3)
        #expect((texts[1]["tokens"] as! [[String: Any]]).map { $0["id"] as! Int } == [256, 97, 98])
    }

    /// Texts of several lengths are scored shortest first, each in a window of its length class
    /// (32, 64, ...): in the order given, each as it scores alone.
    @Test func textsOfManyLengthsScoreAsEachDoesAlone() throws {
        let texts = [String(repeating: "ab", count: 40), "x", String(repeating: "The answer is A. ", count: 9), "abc"]
        let together = try json(try runMolaInspect(["score", "--base", Self.base, Self.adapter] + texts.flatMap { ["--text", $0] }
                                                    + ["--json"])) as! [[String: Any]]
        #expect(together.count == texts.count)
        for (index, text) in texts.enumerated() {
            let alone = try json(try runMolaInspect(["score", "--base", Self.base, Self.adapter, "--text", text, "--json"])) as! [[String: Any]]
            let (ours, reference) = (together[index]["tokens"] as! [[String: Any]], alone[0]["tokens"] as! [[String: Any]])
            #expect(ours.map { $0["id"] as! Int } == reference.map { $0["id"] as! Int }, "text \(index)")
            assertClose(ours.dropFirst().map { $0["logprob"] as! Double }, reference.dropFirst().map { $0["logprob"] as! Double },
                        rtol: 1e-5, atol: 1e-5, "text \(index)")
        }
    }

    @Test func anAdapterChangesTheScores() throws {
        let arguments = ["score", "--base", Self.base, "--text", "The answer is B.", "--json"]
        let alone = try json(try runMolaInspect(arguments)) as! [[String: Any]]
        let adapted = try json(try runMolaInspect(arguments + [Self.adapter])) as! [[String: Any]]
        #expect(alone[0]["log_likelihood"] as! Double != adapted[0]["log_likelihood"] as! Double)
    }

    @Test func scoreRefusesWhatItCannotScore() throws {
        let both = try runMolaInspect(["score", "--base", Self.base, "--text", "a", "--data", scratch.path("x.txt")])
        #expect(both.status == 64)
        #expect(try runMolaInspect(["score", "--base", Self.base]).status == 64)
        let long = try runMolaInspect(["score", "--base", Self.base, "--text", String(repeating: "a", count: 300)])
        #expect(long.status == 1)
        #expect(long.standardError.hasPrefix("error: text 1 is 301 tokens, longer than the base's context of 256"), "\(long.standardError)")
        #expect(long.standardOutput.isEmpty)
    }

    @Test func generateIsGreedyByDefaultAndRepeatsForASeed() throws {
        let arguments = ["generate", "--base", Self.base, "--prompt", "Question:", "--max-new-tokens", "6", "--json"]
        let first = try json(try runMolaInspect(arguments)) as! [String: Any]
        let second = try json(try runMolaInspect(arguments)) as! [String: Any]
        #expect((first["ids"] as! [Int]).count <= 6)
        #expect(first["ids"] as! [Int] == second["ids"] as! [Int])
        #expect(first["prompt_tokens"] as? Int == 10)
        let sampled = arguments + ["--temperature", "1.5", "--top-p", "0.9", "--seed", "5"]
        let drawn = try json(try runMolaInspect(sampled)) as! [String: Any]
        #expect(drawn["ids"] as! [Int] == (try json(try runMolaInspect(sampled)) as! [String: Any])["ids"] as! [Int])
        let streamed = try runMolaInspect(Array(arguments.dropLast()))
        #expect(streamed.status == 0)
        #expect(streamed.standardOutput.hasSuffix("\n"))
    }

    @Test func generateRefusesWhatItCannotDo() throws {
        let noTemplate = try runMolaInspect(["generate", "--base", Self.base, "--prompt", "Hi", "--chat"])
        #expect(noTemplate.status == 1)
        #expect(noTemplate.standardError.contains("no chat template"), "\(noTemplate.standardError)")
        #expect(try runMolaInspect(["generate", "--base", Self.base, "--prompt", "Hi", "--system", "x"]).status == 64)
        #expect(try runMolaInspect(["generate", "--base", Self.base, "--prompt", "Hi", "--temperature", "-1"]).status == 64)
        let long = try runMolaInspect(["generate", "--base", Self.base, "--prompt", String(repeating: "a", count: 300)])
        #expect(long.status == 1)
        #expect(long.standardError.hasPrefix("error: the prompt is 301 tokens, longer than the base's context of 256"), "\(long.standardError)")
    }
}
