/// Text of generated ids as they come: each `append` returns what the new id adds, holding back
/// the bytes of a UTF-8 character that is not finished yet (a byte-level piece can end inside
/// one, `ü` as `Ã` then `¼`), so printing every return value prints the text `decode` gives for
/// all the ids.
///
/// ```
/// var stream = StreamingDecoder(tokenizer)
/// for id in generated { print(stream.append(id), terminator: "") }
/// print(stream.finish())
/// ```
public struct StreamingDecoder: Sendable {
    public let tokenizer: BaseTokenizer
    public private(set) var ids: [Int] = []
    /// How many of the decoded bytes have been returned.
    private var returnedCount = 0

    public init(_ tokenizer: BaseTokenizer) { self.tokenizer = tokenizer }

    /// The text `id` adds (empty while a character is unfinished).
    public mutating func append(_ id: Int) -> String {
        ids.append(id)
        // All ids again: SentencePiece's first piece loses its leading space, so one piece alone
        // can decode differently (the cost is that of a short text per generated token).
        let bytes = tokenizer.decodedBytes(ids)
        let end = Self.completeEnd(of: bytes, from: returnedCount)
        defer { returnedCount = end }
        return String(decoding: bytes[returnedCount..<end], as: UTF8.self)
    }

    /// The rest: the bytes held back, as U+FFFD where no character finished them.
    public mutating func finish() -> String {
        let bytes = tokenizer.decodedBytes(ids)
        defer { returnedCount = bytes.count }
        return String(decoding: bytes[min(returnedCount, bytes.count)...], as: UTF8.self)
    }

    /// Where the bytes stop being whole: before a lead byte at the end whose character needs
    /// more bytes than follow it.
    static func completeEnd(of bytes: [UInt8], from start: Int) -> Int {
        var position = bytes.count - 1
        while position >= max(start, bytes.count - 4) {
            let byte = bytes[position]
            if byte & 0xC0 != 0x80 {  // not a continuation byte
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                return bytes.count - position < length ? position : bytes.count
            }
            position -= 1
        }
        return bytes.count
    }
}
