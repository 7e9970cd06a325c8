import Foundation

/// Byte-level BPE (GPT-2, LLaMA 3, Qwen2, SmolLM): text as UTF-8 bytes, each byte one character of
/// GPT-2's byte-to-unicode map (`ByteLevelAlphabet`), merged by rank within the words the
/// pre-tokenizer cuts.
///
/// Encoding a text:
/// 1. Added tokens (a `tokenizer.json`'s `added_tokens`; a GGUF vocabulary's control,
///    user-defined and unknown tokens) are found in the raw text first, leftmost then longest
///    (`AddedTokenMatcher`), and kept whole.
/// 2. Each stretch between them is NFC-normalized when the file asks, then cut into words by
///    `ByteLevelPreTokenizer`.
/// 3. Each word: with `ignoreMerges` (LLaMA 3), a word the vocabulary has whole is that piece;
///    otherwise its UTF-8 bytes, as the map's characters, are the symbols, joined by the merges,
///    lowest rank first, leftmost of equal ranks (`BytePairMerge`).
///
/// Decoding maps each piece's characters back to bytes (a piece with a character outside the map,
/// such as a user-defined token, is its own UTF-8) and reads the bytes as UTF-8, each invalid
/// sequence one U+FFFD, as the `tokenizers` library does (`String::from_utf8_lossy`).
public struct ByteLevelBPETokenizer: Sendable {
    /// Where it was read from: a `tokenizer.json`, or the GGUF file the vocabulary came from.
    public let source: String
    let vocabulary: [String: Int]
    /// Each id's piece, added tokens included.
    let pieces: [Int: String]
    let merges: BytePairMerge.Table
    /// The id of each byte's one-character piece, where the vocabulary has it.
    let byteIds: [Int?]
    /// A symbol missing from the vocabulary becomes this id, or is dropped without one.
    let unknownId: Int?
    let ignoreMerges: Bool
    let normalizesToNFC: Bool
    let preTokenizer: ByteLevelPreTokenizer
    let addedTokenMatcher: AddedTokenMatcher
    let addedTokenIds: [String: Int]
    /// Decoded as nothing: special added tokens, control tokens.
    let skippedIds: Set<Int>
    /// Decoded as their own UTF-8, not through the byte map: user-defined tokens.
    let rawTextIds: Set<Int>
    let prefixIds: [Int]
    let suffixIds: [Int]

    /// The id of a piece (in the vocabulary or among the added tokens).
    public func id(of piece: String) -> Int? { addedTokenIds[piece] ?? vocabulary[piece] }

    /// The piece of an id as the vocabulary spells it (`Ġthe` for " the"), nil for an unknown id.
    public func piece(of id: Int) -> String? { pieces[id] }

    /// The largest id plus one.
    public var size: Int { (pieces.keys.max() ?? -1) + 1 }

    /// The ids of `text`, with the post-processor's special tokens around them (LLaMA 3:
    /// `<|begin_of_text|>` first).
    ///
    /// - Parameter maxTokens: return only the first `maxTokens` ids, and stop working once they are
    ///   known (as `SentencePieceBPETokenizer.encode` does).
    public func encode(_ text: String, addSpecialTokens: Bool = true, maxTokens: Int? = nil) -> [Int] {
        let limit = max(0, maxTokens ?? Int.max)
        var ids: [Int] = addSpecialTokens ? Array(prefixIds.prefix(limit)) : []
        let scalars = Array(text.unicodeScalars)
        addedTokenMatcher.encode(scalars, into: &ids, limit: limit) { range, ids in
            encodeSegment(Array(scalars[range]), into: &ids, limit: limit)
        }
        if addSpecialTokens && ids.count < limit { ids += suffixIds }
        return ids.count > limit ? Array(ids.prefix(limit)) : ids
    }

    /// The bytes `ids` stand for; special and control tokens and unknown ids give none.
    ///
    /// Streaming: the bytes of a longer list start with the bytes of its prefix, so a caller that
    /// prints as it generates keeps the bytes not yet a whole UTF-8 character for the next id.
    public func decodedBytes(_ ids: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids where !skippedIds.contains(id) {
            guard let piece = pieces[id] else { continue }
            if !rawTextIds.contains(id), let pieceBytes = ByteLevelAlphabet.decode(piece) {
                bytes += pieceBytes
            } else {
                bytes += Array(piece.utf8)
            }
        }
        return bytes
    }

    /// The text of `ids` (`decodedBytes` read as UTF-8, invalid sequences as U+FFFD).
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodedBytes(ids), as: UTF8.self)
    }

    /// Normalizes and pre-tokenizes one stretch of text between added tokens, then runs BPE on
    /// each word, appending to `ids` until it holds `limit`.
    private func encodeSegment(_ segment: [Unicode.Scalar], into ids: inout [Int], limit: Int) {
        var scalars = segment
        if normalizesToNFC {
            scalars = Array(String(String.UnicodeScalarView(segment)).precomposedStringWithCanonicalMapping.unicodeScalars)
        }
        for word in preTokenizer.split(scalars) {
            ids += bytePairEncode(word)
            if ids.count >= limit { return }
        }
    }

    func bytePairEncode(_ word: [Unicode.Scalar]) -> [Int] {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(word.count)
        for scalar in word { UTF8.encode(scalar) { utf8.append($0) } }
        if ignoreMerges, let whole = vocabulary[ByteLevelAlphabet.encode(utf8)] { return [whole] }
        var symbols: [Int] = []
        symbols.reserveCapacity(utf8.count)
        for byte in utf8 {
            if let id = byteIds[Int(byte)] {
                symbols.append(id)
            } else if let unknownId {
                symbols.append(unknownId)
            }  // no unk token: the byte is dropped, as the library does
        }
        return BytePairMerge.merge(symbols, merges: merges)
    }
}
