// Every failure mode of the byte-level tokenizer.json reader and of GGUF tokenizer metadata
// (`TokenizerVocabulary`), each asserting its exact `TokenizerError`; and small hand-built
// vocabularies for what the golden files do not show (user-defined tokens, llama.cpp's default
// pre-tokenizer).
import Foundation
import Testing
@testable import MoLAText

@Suite struct TokenizerVocabularyTests {
    static let source = "test.gguf"

    /// Byte characters for "a", "b", " " (Ġ), their merges, a user-defined and a control token.
    static var small: TokenizerVocabulary {
        TokenizerVocabulary(model: "gpt2", pre: "gpt2", tokens: ["a", "b", "ab", "<tool>", "<|c|>", "Ġ", "Ġa"],
                            tokenTypes: [1, 1, 1, 4, 3, 1, 1], merges: ["a b", "Ġ a"], bosId: 4, eosId: 4)
    }

    static func expectError(_ expected: TokenizerError, _ vocabulary: TokenizerVocabulary,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try BaseTokenizer(vocabulary: vocabulary, source: source) }
    }

    @Test func userDefinedAndControlTokens() throws {
        let tokenizer = try BaseTokenizer(vocabulary: Self.small, source: Self.source)
        let ids = tokenizer.encode("ab<tool>a a<|c|>", appendEnd: true)
        #expect(ids == [2, 3, 0, 6, 4, 4])
        #expect(tokenizer.decode(ids) == "ab<tool>a a")
        #expect(tokenizer.pieces(of: [6, 99]) == ["Ġa", nil])
        #expect(!tokenizer.addsBegin && tokenizer.beginId == 4 && tokenizer.paddingId == 4)
    }

    /// The tokenizer.json `convert` writes from a vocabulary reads back, through the
    /// tokenizer.json reader, as the same tokenizer (control tokens special, user-defined ones not,
    /// the pre-tokenizer as Split regexes before ByteLevel); SentencePiece vocabularies are refused.
    @Test func huggingFaceFilesReadBackAsTheSameTokenizer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vocabulary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var vocabulary = Self.small
        vocabulary.chatTemplate = "{{ messages }}"
        let (file, config) = try vocabulary.huggingFaceFiles(source: Self.source, contextLength: 64)
        try Data(file.rendered().utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        try config.write(directory: directory.path)
        #expect(config.modelMaxLength == 64 && config.endToken?.content == "<|c|>" && config.chatTemplate == "{{ messages }}")
        let written = try BaseTokenizer(baseDirectory: directory.path), original = try BaseTokenizer(vocabulary: vocabulary, source: Self.source)
        for text in ["ab<tool>a a<|c|>", "b a  ab", ""] {
            #expect(written.encode(text, appendEnd: true) == original.encode(text, appendEnd: true), "\(text)")
        }
        #expect(throws: TokenizerError.self) {
            try TokenizerVocabulary(model: "llama", tokens: ["<unk>", "a"], scores: [0, -1]).huggingFaceFiles(source: Self.source, contextLength: nil)
        }
    }

    @Test func defaultPreTokenizerOfLlamaCpp() throws {
        let steps = try ByteLevelBPETokenizer.steps(ofPre: nil, source: Self.source)
        let words = ByteLevelPreTokenizer(steps: steps).split(Array("x=1234567 $5+6, ok".unicodeScalars))
        #expect(words.map { String(String.UnicodeScalarView($0)) } == ["x", "=", "123", "456", "7", " ", "$", "5", "+", "6", ",", " ok"])
        #expect(try ByteLevelBPETokenizer.steps(ofPre: "llama-bpe", source: Self.source) == [.llama3(maximumDigits: 3)])
        #expect(try ByteLevelBPETokenizer.steps(ofPre: "gpt-2", source: Self.source) == [.gpt2])  // llama.cpp's name
        #expect(try ByteLevelBPETokenizer.steps(ofPre: "", source: Self.source) == steps)
    }

    @Test func malformedVocabulariesGetTheirOwnErrors() {
        var vocabulary = Self.small
        vocabulary.model = "bert"
        Self.expectError(.unsupported(file: Self.source, component: "tokenizer.ggml.model", found: "bert"), vocabulary)
        vocabulary = Self.small
        vocabulary.pre = "deepseek-llm"
        Self.expectError(.unsupported(file: Self.source, component: "tokenizer.ggml.pre", found: "deepseek-llm"), vocabulary)
        vocabulary = Self.small
        vocabulary.tokenTypes = [1]
        Self.expectError(.malformed(file: Self.source, field: "tokenizer.ggml.token_type", expected: "7 entries, one per token"), vocabulary)
        vocabulary = Self.small
        vocabulary.merges = nil
        Self.expectError(.malformed(file: Self.source, field: "tokenizer.ggml.merges", expected: "the merges of a gpt2 tokenizer"), vocabulary)
        vocabulary.merges = ["ab"]
        Self.expectError(.malformedMerge(file: Self.source, index: 0, merge: "ab"), vocabulary)
        vocabulary.merges = ["b a"]
        Self.expectError(.mergeOutsideVocabulary(file: Self.source, merge: "b a"), vocabulary)
        vocabulary = Self.small
        vocabulary.bosId = 7
        Self.expectError(.idOutOfRange(file: Self.source, piece: "tokenizer.ggml.bos_token_id", id: 7, limit: 7), vocabulary)
        vocabulary = Self.small
        vocabulary.model = "llama"
        Self.expectError(.malformed(file: Self.source, field: "tokenizer.ggml.scores", expected: "7 entries, one per token"), vocabulary)
    }

    /// Reads a byte-level tokenizer.json with this pre-tokenizer (and normalizer).
    static func read(preTokenizer: Any, normalizer: Any = NSNull(), unknown: Any = NSNull()) -> (file: String, result: Result<ByteLevelBPETokenizer, Error>) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let root: [String: Any] = ["model": ["type": "BPE", "vocab": ["a": 0, "b": 1, "ab": 2], "merges": ["a b"], "unk_token": unknown],
                                   "pre_tokenizer": preTokenizer, "normalizer": normalizer, "decoder": ["type": "ByteLevel"]]
        try! JSONSerialization.data(withJSONObject: root).write(to: file)
        return (file.path, Result { try ByteLevelBPETokenizer(file: file.path) })
    }

    static func expectError(_ expected: (String) -> TokenizerError, preTokenizer: Any, normalizer: Any = NSNull(), unknown: Any = NSNull(),
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let (file, result) = read(preTokenizer: preTokenizer, normalizer: normalizer, unknown: unknown)
        switch result {
        case .success: Issue.record("read without error, expected: \(expected(file))", sourceLocation: sourceLocation)
        case let .failure(error): #expect(error as? TokenizerError == expected(file), sourceLocation: sourceLocation)
        }
    }

    @Test func malformedByteLevelFilesGetTheirOwnErrors() throws {
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true]
        #expect(try Self.read(preTokenizer: byteLevel).result.get().encode("ab ab") == [2, 2])  // no "Ġ": the space is dropped
        func split(_ pattern: [String: Any], behavior: String = "Isolated") -> [String: Any] {
            ["type": "Sequence", "pretokenizers": [["type": "Split", "pattern": pattern, "behavior": behavior, "invert": false], byteLevel]]
        }
        Self.expectError({ .unsupported(file: $0, component: "pre_tokenizer.pattern", found: #"\d+"#) }, preTokenizer: split(["Regex": #"\d+"#]))
        Self.expectError({ .unsupported(file: $0, component: "pre_tokenizer.pattern", found: "String x") }, preTokenizer: split(["String": "x"]))
        Self.expectError({ .unsupported(file: $0, component: "pre_tokenizer.behavior", found: "Removed") },
                         preTokenizer: split(["Regex": #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#],
                                             behavior: "Removed"))
        Self.expectError({ .unsupported(file: $0, component: "pre_tokenizer", found: "Whitespace") },
                         preTokenizer: ["type": "Sequence", "pretokenizers": [["type": "Whitespace"], byteLevel]])
        Self.expectError({ .unsupported(file: $0, component: "normalizer", found: "NFKC") }, preTokenizer: byteLevel, normalizer: ["type": "NFKC"])
        Self.expectError({ .unknownSpecialToken(file: $0, token: "<unk>") }, preTokenizer: byteLevel, unknown: "<unk>")
    }
}

extension TokenizerVocabularyTests {
    /// `chat_template` as a string, as a list of named templates, and in a shape it ignores.
    @Test func chatTemplateFromTheConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: "\(ByteLevelTokenizerTests.directory)/smollm/tokenizer.json",
                                         toPath: directory.appendingPathComponent("tokenizer.json").path)
        let config = directory.appendingPathComponent("tokenizer_config.json")
        for (json, expected) in [(#"{"chat_template": "{{ messages }}", "eos_token": "<|im_end|>"}"#, "{{ messages }}"),
                                 (#"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}"#, "D"),
                                 (#"{"chat_template": 3}"#, nil)] {
            try Data(json.utf8).write(to: config)
            let tokenizer = try BaseTokenizer(baseDirectory: directory.path)
            #expect(tokenizer.chatTemplate == expected, "\(json)")
            #expect(tokenizer.description.hasSuffix("tokenizer.json") && !tokenizer.addsBegin)
        }
        #expect(try BaseTokenizer(baseDirectory: directory.path).paddingId == 0)  // neither pad_token nor eos_token
    }
}

extension TokenizerVocabularyTests {
    /// Pieces and ids are each other's inverse, for every kind of tokenizer.
    @Test func piecesAndIdsAgree() throws {
        let tokenizers = [BaseTokenizer.bytes, try BaseTokenizer(baseDirectory: TokenizerTests.directory),
                          try BaseTokenizer(baseDirectory: "\(ByteLevelTokenizerTests.directory)/llama3"),
                          try BaseTokenizer(vocabulary: ByteLevelTokenizerTests.vocabulary("spm"))]
        for tokenizer in tokenizers {
            let ids = Array(0..<tokenizer.size)
            let pieces = tokenizer.pieces(of: ids)
            #expect(pieces.allSatisfy { $0 != nil }, "\(tokenizer)")
            #expect(pieces.map { tokenizer.id(of: $0!) } == ids, "\(tokenizer)")
            #expect(tokenizer.pieces(of: [-1, tokenizer.size]) == [nil, nil])
        }
        #expect(try BaseTokenizer(baseDirectory: "\(ByteLevelTokenizerTests.directory)/llama3").id(of: "<|begin_of_text|>") != nil)
    }
}

extension TokenizerVocabularyTests {
    /// Pieces are found by their bytes: a decomposed "é" is not the precomposed piece (Swift's
    /// String equality would say it is), but "e" and the combining accent's bytes.
    @Test func piecesAreMatchedByteForByte() throws {
        let vocabulary = TokenizerVocabulary(model: "llama", tokens: ["<unk>", "▁", "e", "é", "<0xCC>", "<0x81>"],
                                             tokenTypes: [2, 1, 1, 1, 6, 6], scores: [0, -1, -2, -3, 0, 0], addSpacePrefix: false)
        let tokenizer = try BaseTokenizer(vocabulary: vocabulary)
        #expect(tokenizer.encode("e\u{301}", appendEnd: false) == [2, 4, 5])
        #expect(tokenizer.encode("é", appendEnd: false) == [3])
        #expect(tokenizer.decode([2, 4, 5]) == "e\u{301}" && tokenizer.id(of: "e\u{301}") == nil)
    }
}
