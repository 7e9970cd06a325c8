import Foundation

/// The tokenizer built into this project: one token per UTF-8 byte, plus three specials.
///
/// ```
/// 0...255  the byte values        256  <bos>        257  <eos>        258  <pad>
/// ```
/// A base made by this project declares it in `tokenizer_config.json` as
/// `{"tokenizer_class": "MoLAByteTokenizer"}`; its vocabulary must hold at least 259 ids.
public struct ByteTokenizer: Sendable {
    public static let className = "MoLAByteTokenizer"
    public static let beginning = 256
    public static let end = 257
    public static let padding = 258
    public static let minimumVocabulary = 259

    public init() {}

    /// `<bos>` then the bytes of `text`, optionally `<eos>`.
    ///
    /// - Parameter maxTokens: only the first `maxTokens` of those ids.
    public func encode(_ text: String, appendEnd: Bool = false, maxTokens: Int? = nil) -> [Int] {
        let limit = max(0, maxTokens ?? Int.max)
        guard limit > 0 else { return [] }
        var ids = [Self.beginning] + text.utf8.prefix(limit - 1).map(Int.init)
        if appendEnd && ids.count < limit { ids.append(Self.end) }
        return ids
    }

    /// The text of byte tokens; specials are dropped, invalid UTF-8 is replaced.
    public func decode(_ tokens: [Int]) -> String {
        String(decoding: tokens.filter { (0...255).contains($0) }.map { UInt8($0) }, as: UTF8.self)
    }
}
