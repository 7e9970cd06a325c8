// `mola-inspect routing` as a user meets it.
import Foundation
import MoLATestSupport
import Testing

@Suite final class RoutingCommandTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let fixture = Fixtures.path("tiny-model")

    /// The tiny base, declaring the byte-level tokenizer (its vocabulary of 300 holds the 259 ids).
    private func byteBase() throws -> String {
        let directory = scratch.path("base")
        try FileManager.default.copyItem(atPath: "\(Self.fixture)/base", toPath: directory)
        try scratch.write(Array(#"{"tokenizer_class": "MoLAByteTokenizer"}"#.utf8), to: "base/tokenizer_config.json")
        return directory
    }

    /// The tiny base with a LLaMA-layout tokenizer.json of 300 ids (Tests/Fixtures/llama-tokenizer/vocab-300).
    private func llamaBase(tokenizer: String = "vocab-300") throws -> String {
        let directory = scratch.path("llama-base")
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.copyItem(atPath: "\(Self.fixture)/base", toPath: directory)
        for file in ["tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: Fixtures.path("llama-tokenizer/\(tokenizer)/\(file)"), toPath: "\(directory)/\(file)")
        }
        return directory
    }

    /// Text through the base's tokenizer.json: `<s>`, the golden ids, `</s>`; and eval through it.
    @Test func textThroughTheBasesTokenizerJSON() throws {
        let text = "Where do tokens go?"
        let data = try scratch.write(Array("\(text)\n".utf8), to: "data.txt")
        let adapter = "\(Self.fixture)/adapter"
        let perToken = scratch.path("tokens.jsonl")
        let result = try runMolaInspect(["routing", "--base", try llamaBase(), adapter, "--data", data, "--json", "--per-token", perToken])
        #expect(result.status == 0, "\(result.standardError)")
        let report = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [String: Any]
        #expect((report["tokenizer"] as? String)?.hasSuffix("llama-base/tokenizer.json") == true)
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("llama-tokenizer/golden.json")))) as! [String: Any]
        let expected = ((golden["cases"] as! [[String: Any]]).first { $0["text"] as? String == text }!["vocab_300_ids"] as! [Int]) + [2]
        #expect(report["tokens"] as? Int == expected.count)
        let tokens = try String(contentsOfFile: perToken, encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["token"] as! Int
        }
        #expect(tokens == expected)
        // eval generates through the same tokenizer (that generation stops at the end token is checked
        // in MoLAModelTests, greedyGenerationStopsAtTheStopToken); one question read, one scored.
        let questions = try scratch.write(Array(#"{"instruction": "Pick one.", "input": "", "answer": "A"}"#.utf8), to: "questions.jsonl")
        let evaluation = try runMolaInspect(["eval", "--base", try llamaBase(), adapter, "--data", questions, "--json", "--max-new-tokens", "4"])
        #expect(evaluation.status == 0, "\(evaluation.standardError)")
        #expect(evaluation.standardOutput.contains("\"items\": 1"))
        // A base without a tokenizer: eval's hint does not offer --tokens, which only routing has.
        let bare = try runMolaInspect(["eval", "--base", "\(Self.fixture)/base", adapter, "--data", questions])
        #expect(bare.status == 1 && bare.standardError.contains("the base has no tokenizer.json"), "\(bare.standardError)")
        #expect(bare.standardError.contains("hint: ") && !bare.standardError.contains("--tokens"), "\(bare.standardError)")
    }

    @Test func tableJSONCSVAndPerTokenFromText() throws {
        let base = try byteBase()
        let data = try scratch.write(Array("""
        {"instruction": "Add the numbers.", "input": "2 + 3", "output": "The answer is A."}
        {"instruction": "Reverse the word.", "input": "", "output": "olleh"}
        """.utf8), to: "data.jsonl")
        let adapter = "\(Self.fixture)/adapter"
        let table = try runMolaInspect(["routing", "--base", base, adapter, "--data", data, "--length", "64"])
        #expect(table.status == 0, "\(table.standardError)")
        #expect(table.standardOutput.contains("layer  projection  experts  balance  entropy"))
        let json = try runMolaInspect(["routing", "--base", base, adapter, "--data", data, "--length", "64", "--json", "--top-k", "1"])
        let report = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as! [String: Any]
        #expect(report["top_k"] as? [Int] == [1, 1, 1])
        #expect(report["top_k_source"] as? String == "--top-k")
        let tokens = report["tokens"] as! Int
        #expect(tokens > 300)  // both prompts, byte by byte, with <bos> and <eos>
        let layer = (report["layers"] as! [[String: Any]])[1]
        let query = (layer["projections"] as! [String: Any])["q_proj"] as! [String: Any]
        let experts = query["experts"] as! [[String: Any]]
        #expect(experts.count == 4)
        #expect(experts.reduce(0) { $0 + ($1["selected"] as! Int) } == tokens)
        #expect(abs(experts.reduce(0.0) { $0 + ($1["share"] as! Double) } - 1) < 1e-12)
        #expect(query["balance"] is Double && query["entropy"] is Double)
        let csv = try runMolaInspect(["routing", "--base", base, adapter, "--data", data, "--csv", "--length", "64"])
        #expect(csv.standardOutput.split(separator: "\n").count == 1 + 7 * (2 + 4 + 3))
        let perToken = scratch.path("tokens.jsonl")
        #expect(try runMolaInspect(["routing", "--base", base, adapter, "--data", data, "--length", "64", "--per-token", perToken]).status == 0)
        let lines = try String(contentsOfFile: perToken, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == tokens)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["token"] as? Int == 256)
        #expect(((first["routes"] as! [String: Any])["1.q_proj"] as! [String: Any])["experts"] is [Int])
    }

    @Test func badInputsFailAndWriteNothing() throws {
        let adapter = "\(Self.fixture)/adapter"
        let base = "\(Self.fixture)/base"
        let output = scratch.path("out.json")
        func expectFailure(_ arguments: [String], status: Int32 = 1, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try runMolaInspect(arguments + ["--output", output])
            #expect(result.status == status, "\(result.standardError)", sourceLocation: sourceLocation)
            #expect(result.standardError.contains(message), "\(result.standardError)", sourceLocation: sourceLocation)
            #expect(!FileManager.default.fileExists(atPath: output), sourceLocation: sourceLocation)
        }
        let outside = try scratch.write(Array("[[1, 2, 300]]".utf8), to: "outside.json")
        try expectFailure(["routing", "--base", base, adapter, "--tokens", outside], "token id 300 (sequence 0, position 2) is outside the base's vocabulary of 300")
        let empty = try scratch.write(Array("[[]]".utf8), to: "empty.json")
        try expectFailure(["routing", "--base", base, adapter, "--tokens", empty], "the data file holds no examples")
        let tokens = try scratch.write(Array("[[1, 2, 3]]".utf8), to: "tokens.json")
        try expectFailure(["routing", "--base", base, adapter, "--tokens", tokens, "--top-k", "3"], status: 64, "top-K 3 exceeds the 2 experts of layer 0")
        try expectFailure(["routing", "--base", base, Fixtures.path("small-2468-f32"), "--tokens", tokens], "the adapter does not fit the base: the adapter has 4 layers, the base 3")
        let notLlama = scratch.path("gpt")
        try FileManager.default.createDirectory(atPath: notLlama, withIntermediateDirectories: true)
        try scratch.write(Array(#"{"model_type": "gpt2"}"#.utf8), to: "gpt/config.json")
        try expectFailure(["routing", "--base", notLlama, adapter, "--tokens", tokens], "not a LLaMA-family config (model_type gpt2)")
        let broken = try scratch.write(Array("{\"instruction\": \"x\", \"output\": \"y\"}\n{broken\n".utf8), to: "broken.jsonl")
        try expectFailure(["routing", "--base", try byteBase(), adapter, "--data", broken], "invalid JSON (\(broken), line 2)")
        try expectFailure(["routing", "--base", base, adapter, "--data", broken], "the base has no tokenizer.json and does not declare the built-in byte tokenizer")
        let text = try scratch.write(Array("The experts of lower layers are more alike.\n".utf8), to: "text.txt")
        // The 602-piece tokenizer does not fit the base's 300-token vocabulary.
        let wide = try llamaBase(tokenizer: ".")
        try expectFailure(["routing", "--base", wide, adapter, "--data", text], "is outside the base's vocabulary of 300")
        try FileManager.default.removeItem(atPath: "\(wide)/tokenizer.json")
        try scratch.write([], to: "llama-base/tokenizer.model")
        try expectFailure(["routing", "--base", wide, adapter, "--data", text], "the base has only tokenizer.model")
        try scratch.write(Array(#"{"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated"}, {"type": "ByteLevel"}]}}"#.utf8),
                          to: "llama-base/tokenizer.json")
        try expectFailure(["routing", "--base", wide, adapter, "--data", text], #"unsupported tokenizer pre_tokenizer.pattern \d+"#)
        try expectFailure(["routing", "--base", base, adapter], status: 64, "give one of --data FILE and --tokens FILE")
    }
}
