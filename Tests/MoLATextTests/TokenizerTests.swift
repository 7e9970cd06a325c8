// The tokenizer.json reader against the Hugging Face `tokenizers` library: golden ids from
// Tests/Fixtures/generate_tokenizer_golden.py for a small LLaMA-layout tokenizer (byte
// fallback, Prepend/Replace normalizer or Metaspace pre-tokenizer, `<s>` template), and every
// malformed-file case.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing
import MoLAFiles
@testable import MoLAText

@Suite struct TokenizerTests {
    static let directory = Fixtures.path("llama-tokenizer")

    struct Case { let text: String; let ids: [Int]; let withoutSpecials: [Int]; let metaspace: [Int]; let vocab300: [Int]; let decoded: String }

    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/golden.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (root["cases"] as! [[String: Any]]).map {
            Case(text: $0["text"] as! String, ids: $0["ids"] as! [Int], withoutSpecials: $0["ids_without_specials"] as! [Int],
                 metaspace: $0["metaspace_ids"] as! [Int], vocab300: $0["vocab_300_ids"] as! [Int], decoded: $0["decoded"] as! String)
        }
    }

    @Test func encodesAsTheTokenizersLibraryDoes() throws {
        let legacy = try SentencePieceBPETokenizer(file: "\(Self.directory)/tokenizer.json")
        let metaspace = try SentencePieceBPETokenizer(file: "\(Self.directory)/metaspace/tokenizer.json")
        let small = try SentencePieceBPETokenizer(file: "\(Self.directory)/vocab-300/tokenizer.json")
        #expect(legacy.size == 602 && small.size == 300)
        for item in try Self.cases() {
            #expect(legacy.encode(item.text) == item.ids, "\(item.text)")
            #expect(legacy.encode(item.text, addSpecialTokens: false) == item.withoutSpecials, "\(item.text)")
            #expect(metaspace.encode(item.text) == item.metaspace, "Metaspace: \(item.text)")
            #expect(small.encode(item.text) == item.vocab300, "300 ids: \(item.text)")
            #expect(legacy.decode(item.ids) == item.decoded, "decode: \(item.text)")
        }
    }

    @Test func baseTokenizerFindsTheFileAndTheEndToken() throws {
        let tokenizer = try BaseTokenizer(baseDirectory: Self.directory)
        let ids = tokenizer.encode("Where do tokens go?", appendEnd: true)
        #expect(ids.first == 1 && ids.last == 2)
        #expect(tokenizer.paddingId == 0)
        #expect(tokenizer.description.contains("tokenizer.json"))
    }

    /// `eos_token` and `pad_token` in either spelling of tokenizer_config.json.
    @Test func endAndPaddingTokensFromTheConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: "\(Self.directory)/tokenizer.json", toPath: directory.appendingPathComponent("tokenizer.json").path)
        try Data(#"{"eos_token": {"content": "<unk>"}, "pad_token": "</s>"}"#.utf8).write(to: directory.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try BaseTokenizer(baseDirectory: directory.path)
        #expect(tokenizer.endId == 0 && tokenizer.paddingId == 2)
        #expect(tokenizer.encode("a", appendEnd: true).last == 0)
    }

    /// A boolean or a number where a token belongs is refused by name (it was read as no token at all).
    @Test func specialTokensThatAreNoTokens() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tokenizer_config.json").path
        for (json, field) in [(#"{"bos_token": true}"#, "bos_token"), (#"{"eos_token": 2}"#, "eos_token"),
                              (#"{"pad_token": {"content": false}}"#, "pad_token.content")] {
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            let expected = field.hasSuffix("content") ? "a string" : "a token: a string, or an object with \"content\""
            #expect(throws: JSONDocumentError.invalidField(file: path, field: field, expected: expected), "\(json)") {
                try TokenizerConfig.load(directory: directory.path)
            }
        }
    }

    /// Without a normalizer or pre-tokenizer nothing adds a leading space, so decoding keeps one.
    @Test func decodingKeepsALeadingSpaceNothingAdded() throws {
        let model: [String: Any] = ["type": "BPE", "vocab": ["<unk>": 0, " ": 1, "a": 2], "merges": [], "unk_token": "<unk>"]
        let tokenizer = try Self.read(model: model).result.get()
        #expect(tokenizer.encode(" a", addSpecialTokens: false) == [1, 2])
        #expect(tokenizer.decode([1, 2]) == " a")
    }

    /// Reads a tokenizer.json built from `model` and `extra` top-level fields; returns the file's path too.
    static func read(model: [String: Any], extra: [String: Any] = [:]) -> (file: String, result: Result<SentencePieceBPETokenizer, Error>) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        var root = extra
        root["model"] = model
        try! JSONSerialization.data(withJSONObject: root).write(to: file)
        return (file.path, Result { try SentencePieceBPETokenizer(file: file.path) })
    }

    static func expectError(_ expected: (String) -> TokenizerError, model: [String: Any], extra: [String: Any] = [:],
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let (file, result) = read(model: model, extra: extra)
        switch result {
        case .success: Issue.record("read without error, expected: \(expected(file))", sourceLocation: sourceLocation)
        case let .failure(error): #expect(error as? TokenizerError == expected(file), sourceLocation: sourceLocation)
        }
    }

    static var goodModel: [String: Any] { ["type": "BPE", "vocab": ["<unk>": 0, "a": 1, "b": 2, "ab": 3], "merges": ["a b"], "unk_token": "<unk>"] }

    static func model(_ key: String, _ value: Any) -> [String: Any] {
        var model = goodModel
        model[key] = value
        return model
    }

    @Test func malformedFilesGetTheirOwnErrors() throws {
        #expect(try Self.read(model: Self.goodModel).result.get().encode("abc", addSpecialTokens: false) == [3, 0])
        Self.expectError({ .unsupported(file: $0, component: "model", found: "WordPiece") }, model: Self.model("type", "WordPiece"))
        Self.expectError({ .mergeOutsideVocabulary(file: $0, merge: "a c") }, model: Self.model("merges", ["a c"]))
        Self.expectError({ .idOutOfRange(file: $0, piece: "b", id: -1, limit: 3) }, model: Self.model("vocab", ["<unk>": 0, "a": 1, "b": -1]))
        Self.expectError({ .unknownSpecialToken(file: $0, token: "<missing>") }, model: Self.model("unk_token", "<missing>"))
        Self.expectError({ .malformed(file: $0, field: "model.vocab", expected: "an object of piece: id") }, model: Self.model("vocab", "no"))
        Self.expectError({ .malformed(file: $0, field: "model.merges", expected: "an array") }, model: Self.model("merges", 3))
        Self.expectError({ .unsupported(file: $0, component: "model.continuing_subword_prefix", found: "##") },
                         model: Self.model("continuing_subword_prefix", "##"))
        Self.expectError({ .unsupported(file: $0, component: "pre_tokenizer", found: "ByteLevel") }, model: Self.goodModel,
                         extra: ["pre_tokenizer": ["type": "ByteLevel"]])
        Self.expectError({ .unsupported(file: $0, component: "normalizer", found: "NFKC") }, model: Self.goodModel,
                         extra: ["normalizer": ["type": "NFKC"]])
        let template: [String: Any] = ["type": "TemplateProcessing",
                                       "single": [["SpecialToken": ["id": "<bos>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]]]
        Self.expectError({ .unknownSpecialToken(file: $0, token: "<bos>") }, model: Self.goodModel, extra: ["post_processor": template])
        Self.expectError({ .unsupported(file: $0, component: "model.dropout", found: "0.1") }, model: Self.model("dropout", 0.1))
        Self.expectError({ .malformed(file: $0, field: "added_tokens[0]", expected: "{\"id\": integer, \"content\": string}") },
                         model: Self.goodModel, extra: ["added_tokens": [["content": "<s>"]]])
        Self.expectError({ .badIdentifier(file: $0, piece: "<s>", id: 1) }, model: Self.goodModel,
                         extra: ["added_tokens": [["id": 1, "content": "<s>"]]])
        Self.expectError({ .unsupported(file: $0, component: "normalizer", found: "Replace other than spaces") }, model: Self.goodModel,
                         extra: ["normalizer": ["type": "Replace", "pattern": ["String": "x"], "content": "y"]])
        let replaceThenPrepend: [[String: Any]] = [["type": "Replace", "pattern": ["String": " "], "content": "▁"], ["type": "Prepend", "prepend": "▁"]]
        Self.expectError({ .unsupported(file: $0, component: "normalizer", found: "Replace before Prepend") }, model: Self.goodModel,
                         extra: ["normalizer": ["type": "Sequence", "normalizers": replaceThenPrepend]])
        Self.expectError({ .unsupported(file: $0, component: "pre_tokenizer.prepend_scheme", found: "sometimes") }, model: Self.goodModel,
                         extra: ["pre_tokenizer": ["type": "Metaspace", "prepend_scheme": "sometimes"]])
        Self.expectError({ .unsupported(file: $0, component: "post_processor", found: "BertProcessing") }, model: Self.goodModel,
                         extra: ["post_processor": ["type": "BertProcessing"]])
        Self.expectError({ .malformed(file: $0, field: "model.byte_fallback", expected: "true or false") }, model: Self.model("byte_fallback", "yes"))
        Self.expectError({ .malformed(file: $0, field: "model.vocab[b]", expected: "an integer id") }, model: Self.model("vocab", ["<unk>": 0, "b": "two"]))
        Self.expectError({ .malformed(file: $0, field: "model.merges[0]", expected: "\"a b\" or [\"a\", \"b\"]") }, model: Self.model("merges", [3]))
        Self.expectError({ .unsupported(file: $0, component: "model", found: "Unigram") }, model: ["type": "Unigram", "vocab": [["a", -1.0]]])
        let (file, _) = Self.read(model: Self.goodModel)
        #expect(throws: InputFileError.cannotOpen(path: file, reason: "No such file or directory")) { try SentencePieceBPETokenizer(file: file) }
    }

    @Test func unreadableFilesAndBasesWithoutATokenizer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: TokenizerError.noTokenizer(directory: directory.path)) { try BaseTokenizer(baseDirectory: directory.path) }
        try Data().write(to: directory.appendingPathComponent("tokenizer.model"))
        #expect(throws: TokenizerError.sentencePieceModelOnly(directory: directory.path)) { try BaseTokenizer(baseDirectory: directory.path) }
        let file = directory.appendingPathComponent("tokenizer.json")
        try Data("{not json".utf8).write(to: file)
        #expect(throws: TokenizerError.unreadable(file: file.path, reason: "not JSON")) { try SentencePieceBPETokenizer(file: file.path) }
        try Data("[1, 2]".utf8).write(to: file)
        #expect(throws: TokenizerError.malformed(file: file.path, field: "(top level)", expected: "an object")) { try SentencePieceBPETokenizer(file: file.path) }
    }
}
