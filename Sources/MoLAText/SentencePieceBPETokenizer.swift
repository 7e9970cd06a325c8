import Foundation

/// The tokenizer of LLaMA 1 and 2 bases, read from a Hugging Face `tokenizer.json`.
///
/// The file (JSON, written by the `tokenizers` library) holds, of what this reader uses:
/// 1. `model`: MUST be `{"type": "BPE", "vocab": {piece: id}, "merges": ["a b" | ["a", "b"]],
///    "unk_token", "byte_fallback", "fuse_unk", "ignore_merges"}`. Ids MUST be unique and lie in
///    0..<(vocabulary entries + added tokens); each merge MUST join two pieces of the vocabulary
///    into a third; earlier merges rank first.
///    `continuing_subword_prefix` and `end_of_word_suffix` MUST be null, `dropout` null or 0.
/// 2. `added_tokens`: `[{"id", "content"}]`, matched in the raw text before anything else
///    (leftmost, then longest, `AddedTokenMatcher`) and kept whole. Each id MUST be its content's
///    vocabulary id or one no piece has, and no other added token's.
/// 3. `normalizer`: null, or `Prepend(p)` and `Replace(String s, content c)`, alone or in a
///    `Sequence` (LLaMA 2's older files: prepend `▁`, spaces to `▁`).
/// 4. `pre_tokenizer`: null, or `Metaspace(replacement, prepend_scheme always|first|never or
///    add_prefix_space, split)` (newer files). Byte-level BPE (LLaMA 3, GPT-2) is refused here:
///    `ByteLevelBPETokenizer` reads it.
/// 5. `post_processor`: null, or `TemplateProcessing` whose `single` template puts special
///    tokens around the sequence (LLaMA: `<s> $A`), alone or inside a `Sequence`; ids its
///    `special_tokens` give MUST be ids of pieces or added tokens.
///
/// Encoding a text segment: split it into Unicode scalars; a scalar missing from the
/// vocabulary becomes its UTF-8 bytes as `<0xXX>` pieces (byte fallback) or `unk_token`
/// (consecutive ones fused); then repeatedly join the adjacent pair of lowest merge rank,
/// leftmost first, as the `tokenizers` library does.
public struct SentencePieceBPETokenizer: Sendable {
    public let file: String
    let vocabulary: [String: Int]
    let pieces: [Int: String]
    /// (left id, right id) -> (rank, merged id).
    let merges: BytePairMerge.Table
    let unknownId: Int?
    let byteFallback: Bool
    let fuseUnknown: Bool
    let ignoreMerges: Bool
    /// Added tokens: matched in the raw text (leftmost, longest first) and kept whole.
    let addedTokenMatcher: AddedTokenMatcher
    /// The same by text, for looking special tokens up.
    let addedTokenIds: [String: Int]
    /// The `<0xXX>` piece of each byte value, where the vocabulary has it.
    let byteIds: [Int?]
    let prependToSegments: String?
    let spaceReplacement: String?
    let metaspace: Metaspace?
    let prefixIds: [Int]
    let suffixIds: [Int]

    struct Metaspace {
        enum Prepend { case always, first, never }
        let replacement: String
        let prepend: Prepend
        let split: Bool
    }

    /// The id of a piece (in the vocabulary or among the added tokens).
    public func id(of piece: String) -> Int? {
        vocabulary[piece] ?? addedTokenIds[piece]
    }

    /// The largest id plus one.
    public var size: Int { max(pieces.keys.max() ?? -1, addedTokenIds.values.max() ?? -1) + 1 }

    /// The ids of `text` with the post-processor's special tokens around them (LLaMA: `<s>` first).
    ///
    /// - Parameter maxTokens: return only the first `maxTokens` ids, and stop working once they are
    ///   known: added tokens are looked for window by window and no word after the last one needed
    ///   is encoded, so a long text costs no more than the ids asked for (and one word).
    public func encode(_ text: String, addSpecialTokens: Bool = true, maxTokens: Int? = nil) -> [Int] {
        let limit = max(0, maxTokens ?? Int.max)
        var ids: [Int] = addSpecialTokens ? Array(prefixIds.prefix(limit)) : []
        let scalars = Array(text.unicodeScalars)
        addedTokenMatcher.encode(scalars, into: &ids, limit: limit) { range, ids in
            encodeSegment(String(String.UnicodeScalarView(scalars[range])), atStart: range.lowerBound == 0, into: &ids, limit: limit)
        }
        if addSpecialTokens && ids.count < limit { ids += suffixIds }
        return ids.count > limit ? Array(ids.prefix(limit)) : ids
    }

    /// The text of `ids`: `▁` back to spaces, byte pieces back to bytes, the leading space
    /// the normalizer added dropped; special (added) tokens are skipped.
    public func decode(_ ids: [Int]) -> String { String(decoding: decodedBytes(ids), as: UTF8.self) }

    /// The bytes `decode` reads as UTF-8 (those of a prefix of `ids` start them).
    public func decodedBytes(_ ids: [Int]) -> [UInt8] {
        let added = Set(addedTokenIds.values)
        var bytes: [UInt8] = []
        let marker = spaceReplacement ?? metaspace?.replacement ?? "▁"
        for id in ids where !added.contains(id) {
            guard let piece = pieces[id] else { continue }
            if byteFallback, let byte = Self.byteValue(of: piece) {
                bytes.append(byte)
            } else {
                bytes += Array(piece.replacingOccurrences(of: marker, with: " ").utf8)
            }
        }
        let addsLeadingSpace = prependToSegments != nil || (metaspace.map { $0.prepend != .never } ?? false)
        if bytes.first == UInt8(ascii: " ") && addsLeadingSpace { bytes.removeFirst() }
        return bytes
    }

    /// Normalizes and pre-tokenizes one stretch of text between added tokens, then runs BPE on
    /// each word, appending to `ids` until it holds `limit`.
    private func encodeSegment(_ segment: String, atStart: Bool, into ids: inout [Int], limit: Int) {
        var text = segment
        if let prepend = prependToSegments { text = prepend + text }
        if let replacement = spaceReplacement { text = text.replacingOccurrences(of: " ", with: replacement) }
        var words = [text]
        if let metaspace {
            text = text.replacingOccurrences(of: " ", with: metaspace.replacement)
            let prepend = metaspace.prepend == .always || (metaspace.prepend == .first && atStart)
            if prepend && !text.hasPrefix(metaspace.replacement) { text = metaspace.replacement + text }
            words = metaspace.split ? Self.splitBefore(metaspace.replacement, in: text) : [text]
        }
        for word in words {
            ids += bytePairEncode(word)
            if ids.count >= limit { return }
        }
    }

    /// "▁a▁b" -> ["▁a", "▁b"]: each replacement character starts a word.
    static func splitBefore(_ marker: String, in text: String) -> [String] {
        var words: [String] = [], current = ""
        for character in text.unicodeScalars {
            if String(character) == marker && !current.isEmpty {
                words.append(current)
                current = ""
            }
            current.unicodeScalars.append(character)
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    private func bytePairEncode(_ word: String) -> [Int] {
        if ignoreMerges, let whole = vocabulary[word] { return [whole] }
        var symbols: [Int] = []
        var previousWasUnknown = false
        for scalar in word.unicodeScalars {
            if let id = vocabulary[String(scalar)] {
                symbols.append(id)
                previousWasUnknown = false
                continue
            }
            if byteFallback {
                let bytes = String(scalar).utf8.compactMap { byteIds[Int($0)] }
                if bytes.count == String(scalar).utf8.count {
                    symbols += bytes
                    previousWasUnknown = false
                    continue
                }
            }
            guard let unknownId else { continue }  // no unk token: the scalar is dropped, as the library does
            if !(fuseUnknown && previousWasUnknown) { symbols.append(unknownId) }
            previousWasUnknown = true
        }
        return BytePairMerge.merge(symbols, merges: merges)
    }

    /// 0x41 for "<0x41>".
    static func byteValue(of piece: String) -> UInt8? {
        guard piece.count == 6, piece.hasPrefix("<0x"), piece.hasSuffix(">") else { return nil }
        return UInt8(piece.dropFirst(3).prefix(2), radix: 16)
    }
}
