// Byte-level BPE and SentencePiece by scores against the Hugging Face `tokenizers` library: golden
// ids from Tests/Fixtures/generate_bpe_golden.py for small tokenizers of each pre-tokenizer
// configuration (GPT-2, LLaMA 3, Qwen2, SmolLM), read from tokenizer.json and, as GGUF metadata,
// through `TokenizerVocabulary`.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing
@testable import MoLAText

@Suite struct ByteLevelTokenizerTests {
    static let directory = Fixtures.path("bpe-tokenizers")

    struct Golden {
        let texts: [String]
        let ids: [String: [[Int]]]
        let withoutSpecials: [String: [[Int]]]
        let decoded: [String: [String]]
    }

    static func golden() throws -> Golden {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/golden.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let tokenizers = root["tokenizers"] as! [String: [String: Any]]
        return Golden(texts: root["texts"] as! [String],
                      ids: tokenizers.mapValues { $0["ids"] as! [[Int]] },
                      withoutSpecials: tokenizers.compactMapValues { $0["ids_without_specials"] as? [[Int]] },
                      decoded: tokenizers.mapValues { $0["decoded"] as! [String] })
    }

    static func vocabulary(_ name: String) throws -> TokenizerVocabulary {
        try JSONDecoder().decode(TokenizerVocabulary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)-vocabulary.json")))
    }

    @Test(arguments: ["gpt2", "llama3", "qwen2", "smollm"])
    func encodesAsTheTokenizersLibraryDoes(name: String) throws {
        let golden = try Self.golden()
        let tokenizer = try ByteLevelBPETokenizer(file: "\(Self.directory)/\(name)/tokenizer.json")
        for (index, text) in golden.texts.enumerated() {
            #expect(tokenizer.encode(text) == golden.ids[name]![index], "\(name): \(text.debugDescription)")
            #expect(tokenizer.encode(text, addSpecialTokens: false) == golden.withoutSpecials[name]![index], "\(name): \(text.debugDescription)")
            #expect(tokenizer.decode(golden.ids[name]![index]) == golden.decoded[name]![index], "\(name) decode: \(text.debugDescription)")
        }
    }

    /// The same vocabularies as GGUF metadata (`llama-bpe` adds the begin token itself).
    @Test(arguments: [("llama3", "llama3"), ("smollm", "smollm")])
    func vocabularyGivesTheSameIds(vocabularyName: String, goldenName: String) throws {
        let golden = try Self.golden()
        let tokenizer = try BaseTokenizer(vocabulary: Self.vocabulary(vocabularyName), source: "\(vocabularyName)-vocabulary.json")
        for (index, text) in golden.texts.enumerated() {
            #expect(tokenizer.encode(text, appendEnd: false) == golden.ids[goldenName]![index], "\(vocabularyName): \(text.debugDescription)")
            #expect(tokenizer.decode(golden.ids[goldenName]![index]) == golden.decoded[goldenName]![index], "\(vocabularyName) decode")
        }
    }

    /// LLaMA-layout SentencePiece as GGUF `llama` metadata: joined by score as llama.cpp does.
    @Test func sentencePieceByScores() throws {
        let golden = try Self.golden()
        let tokenizer = try BaseTokenizer(vocabulary: Self.vocabulary("spm"), source: "spm-vocabulary.json")
        #expect(tokenizer.addsBegin && tokenizer.beginId == 1 && tokenizer.endId == 2)
        for (index, text) in golden.texts.enumerated() {
            #expect(tokenizer.encode(text, appendEnd: false) == golden.ids["spm"]![index], "spm: \(text.debugDescription)")
            #expect(tokenizer.decode(golden.ids["spm"]![index]) == golden.decoded["spm"]![index], "spm decode: \(text.debugDescription)")
        }
    }

    /// Decoding what was encoded gives the text back (Qwen2's in NFC), and the bytes of each
    /// prefix of the ids start the bytes of the whole (what streaming output relies on).
    @Test(arguments: ["gpt2", "llama3", "qwen2", "smollm"])
    func decodingRoundTrips(name: String) throws {
        let tokenizer = try BaseTokenizer(baseDirectory: "\(Self.directory)/\(name)")
        for text in try Self.golden().texts {
            let ids = tokenizer.encode(text, appendEnd: false)
            let expected = name == "qwen2" ? text.precomposedStringWithCanonicalMapping : text
            // Special tokens are skipped when decoding.
            let withoutSpecials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|eot_id|>"]
                .filter { tokenizer.pieces(of: ids).contains($0) }
                .reduce(expected) { $0.replacingOccurrences(of: $1, with: "") }
            #expect(tokenizer.decode(ids) == withoutSpecials, "\(name): \(text.debugDescription)")
            let whole = tokenizer.decodedBytes(ids)
            for end in 0...ids.count {
                #expect(whole.starts(with: tokenizer.decodedBytes(Array(ids[..<end]))))
            }
        }
    }
}

extension ByteLevelTokenizerTests {
    /// Streaming output, id by id, adds up to `decode` of all the ids, and never returns half a character.
    @Test(arguments: ["gpt2", "llama3", "smollm"])
    func streamingDecodingAddsUpToTheWhole(name: String) throws {
        let tokenizer = try BaseTokenizer(baseDirectory: "\(Self.directory)/\(name)")
        let scores = try BaseTokenizer(vocabulary: Self.vocabulary("spm"), source: "spm-vocabulary.json")
        for base in [tokenizer, scores] {
            for text in try Self.golden().texts {
                var stream = StreamingDecoder(base)
                var streamed = ""
                for id in base.encode(text, appendEnd: false) {
                    let piece = stream.append(id)
                    #expect(!piece.contains("\u{FFFD}"), "\(name): \(text.debugDescription)")
                    streamed += piece
                }
                streamed += stream.finish()
                #expect(streamed == base.decode(base.encode(text, appendEnd: false)), "\(name): \(text.debugDescription)")
            }
        }
    }
}
