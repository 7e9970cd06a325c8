// The real SmolLM2 tokenizer, when its reference ids are there: MOLA_SMOLLM2_CHECK names the
// directory Tests/Fixtures/check_smollm2_tokenizer.py writes (it needs the model, so CI skips this).
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
}
