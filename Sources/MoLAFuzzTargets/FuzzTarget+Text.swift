import Foundation
import MoLAText

/// The text side: a base's `tokenizer.json`, and the data files `train`, `routing` and `eval` read.
extension FuzzTarget {
    /// Texts every fuzzed tokenizer encodes: spaces, byte fallback, the special tokens' spellings.
    static let sampleTexts = [
        "Hello, world. The answer is B.",
        "  two  spaces, a tab\tand\na newline ",
        "ünïcødé, 漢字, emoji 😀 and a <0x41> lookalike",
        "<s></s><unk> ▁ ▁▁",
        "<|im_start|>user\nIt's 12345 ĠĠ Ċ<|im_end|>\r\n\t  x",
        "",
    ]

    static func tokenizer(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            let tokenizer = try SentencePieceBPETokenizer(file: directory.write(bytes, to: "tokenizer.json"))
            exercise(bytes, size: tokenizer.size, encode: tokenizer.encode, decode: tokenizer.decode)
        }
    }

    static func byteLevelTokenizer(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            let tokenizer = try ByteLevelBPETokenizer(file: directory.write(bytes, to: "tokenizer.json"))
            exercise(bytes, size: tokenizer.size, encode: tokenizer.encode, decode: tokenizer.decode)
        }
    }

    static func tokenizerVocabulary(_ bytes: UnsafeRawBufferPointer) throws {
        let vocabulary = try JSONDecoder().decode(TokenizerVocabulary.self, from: Data(bytes))
        let tokenizer = try BaseTokenizer(vocabulary: vocabulary, source: "fuzz input")
        exercise(bytes, size: vocabulary.tokens.count, encode: { text, addSpecialTokens, maxTokens in
            tokenizer.encode(text, appendEnd: addSpecialTokens, maxTokens: maxTokens)
        }, decode: tokenizer.decode)
        _ = tokenizer.pieces(of: Array(-2..<min(vocabulary.tokens.count + 2, 1024)))
    }

    /// Encodes the sample texts and the file's own first bytes every way, and decodes ids the
    /// file never gave; stopping early must give the whole encoding's first ids.
    private static func exercise(_ bytes: UnsafeRawBufferPointer, size: Int, encode: (String, Bool, Int?) -> [Int], decode: ([Int]) -> String) {
        // The file's own first bytes as text too, so that its pieces and added tokens are met.
        let ownText = String(decoding: bytes.prefix(256), as: UTF8.self)
        for text in sampleTexts + [ownText] {
            let ids = encode(text, true, nil)
            _ = decode(ids)
            _ = encode(text, false, nil)
            for limit in Set([0, 1, ids.count / 2, max(ids.count - 1, 0)]) where encode(text, true, limit) != Array(ids.prefix(limit)) {
                preconditionFailure("encode(maxTokens: \(limit)) is not the first \(limit) of the \(ids.count) ids")
            }
        }
        // Decoding ids the file never gave (out of range, negative) must not fail either.
        _ = decode(Array(-2..<min(size + 2, 1024)))
    }

    static func dataset(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            // The same bytes as each kind of data file; a failure of one does not skip the others.
            var firstError: (any Error)?
            func attempt(_ body: () throws -> Void) {
                do { try body() } catch { firstError = firstError ?? error }
            }
            let jsonLines = try directory.write(bytes, to: "data.jsonl")
            let json = try directory.write(bytes, to: "data.json")
            let text = try directory.write(bytes, to: "data.txt")
            attempt { _ = try TextDataset.loadRecords(path: jsonLines) }
            attempt { _ = try TextDataset.loadQuestions(path: jsonLines) }
            attempt { _ = try TextDataset.load(path: json) }
            attempt { _ = try TextDataset.loadQuestions(path: json) }
            attempt { _ = try TextDataset.loadTokens(path: json) }
            attempt { _ = try TextDataset.loadRecords(path: text) }
            if let firstError { throw firstError }
        }
    }
}
