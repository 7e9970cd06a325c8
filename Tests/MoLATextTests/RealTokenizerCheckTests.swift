// Checks against references CI does not have, each enabled by an environment variable naming the
// directory a script wrote: the real SmolLM2 tokenizer (MOLA_SMOLLM2_CHECK,
// Tests/Fixtures/check_smollm2_tokenizer.py, needs the model) and llama.cpp's ids for the fixture
// vocabularies (MOLA_LLAMA_CPP_IDS, Tests/Fixtures/check_vocabularies_llama_cpp.py, needs
// llama-cpp-python).
import Foundation
import Testing
@testable import MoLAText

@Suite struct RealTokenizerCheck {
    static let directory = ProcessInfo.processInfo.environment["MOLA_SMOLLM2_CHECK"]

    @Test(.enabled(if: directory != nil, "set MOLA_SMOLLM2_CHECK to the output of check_smollm2_tokenizer.py"))
    func smolLM2MatchesTheReferences() throws {
        let directory = try #require(Self.directory)
        let vocabulary = try JSONDecoder().decode(TokenizerVocabulary.self,
                                                  from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/vocabulary.json")))
        let tokenizer = try BaseTokenizer(vocabulary: vocabulary, source: "SmolLM2 GGUF metadata")
        #expect(!tokenizer.addsBegin && tokenizer.endId == 2 && tokenizer.chatTemplate?.contains("im_start") == true)
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/golden.json"))) as! [String: Any]
        let texts = golden["texts"] as! [String]
        for (name, key) in [("tokenizers", "ids"), ("llama.cpp", "llama_cpp_ids")] {
            guard let expected = golden[key] as? [[Int]] else { continue }
            var differing = 0
            for (text, ids) in zip(texts, expected) where tokenizer.encode(text, appendEnd: false) != ids {
                differing += 1
                Issue.record("\(name): \(text.debugDescription): \(tokenizer.encode(text, appendEnd: false)) != \(ids)")
            }
            print("SmolLM2 against \(name): \(texts.count - differing) of \(texts.count) texts equal")
        }
        for (text, decoded) in zip(texts, golden["decoded"] as! [String]) {
            #expect(tokenizer.decode(tokenizer.encode(text, appendEnd: false)) == decoded, "decode: \(text.debugDescription)")
        }
    }

    static let llamaCppDirectory = ProcessInfo.processInfo.environment["MOLA_LLAMA_CPP_IDS"]

    @Test(.enabled(if: llamaCppDirectory != nil, "set MOLA_LLAMA_CPP_IDS to the output of check_vocabularies_llama_cpp.py"))
    func fixtureVocabulariesMatchLlamaCpp() throws {
        let directory = try #require(Self.llamaCppDirectory)
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/llama_cpp_ids.json"))) as! [String: Any]
        let texts = root["texts"] as! [String]
        for name in ["spm", "llama3", "smollm", "gpt2", "qwen2", "default"] {
            // The first three are fixtures; the script writes the others beside the ids.
            let vocabulary = ["spm", "llama3", "smollm"].contains(name)
                ? try ByteLevelTokenizerTests.vocabulary(name)
                : try JSONDecoder().decode(TokenizerVocabulary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)-vocabulary.json")))
            let tokenizer = try BaseTokenizer(vocabulary: vocabulary, source: "\(name)-vocabulary.json")
            var equal = 0
            for (text, ids) in zip(texts, root[name] as! [[Int]]) {
                let mine = tokenizer.encode(text, appendEnd: false)
                if mine == ids { equal += 1 } else { Issue.record("\(name): \(text.debugDescription): \(mine) != \(ids)") }
            }
            print("\(name) against llama.cpp: \(equal) of \(texts.count) texts equal")
        }
    }
}
