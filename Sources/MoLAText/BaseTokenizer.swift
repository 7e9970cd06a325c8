import Foundation

/// The tokenizer that goes with a base model directory.
///
/// This project's byte tokenizer when `tokenizer_config.json` declares it
/// (`"tokenizer_class": "MoLAByteTokenizer"`), else the base's `tokenizer.json` read as LLaMA's
/// SentencePiece-style BPE, with the end token (`eos_token`, appended as the reference appends it)
/// and the padding id (`pad_token`, else 0, which the reference sets for LLaMA) from
/// `tokenizer_config.json` when it is there.
public struct BaseTokenizer: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case bytes
        case pieces(SentencePieceBPETokenizer)
    }

    let kind: Kind
    /// The id appended after each example, if the base has one.
    public let endId: Int?
    /// The id windows are padded with (padding is excluded from statistics unless asked).
    public let paddingId: Int
    /// Which tokenizer this is, for reports: `MoLAByteTokenizer` or the file read.
    public let description: String

    /// This project's byte-level tokenizer.
    public static let bytes = BaseTokenizer(kind: .bytes, endId: ByteTokenizer.end, paddingId: ByteTokenizer.padding,
                                            description: ByteTokenizer.className)

    private init(kind: Kind, endId: Int?, paddingId: Int, description: String) {
        self.kind = kind
        self.endId = endId
        self.paddingId = paddingId
        self.description = description
    }

    /// - Throws: `TokenizerError`, and `JSONDocumentError` for a malformed `tokenizer_config.json`.
    public init(baseDirectory: String) throws {
        let config = try TokenizerConfig.load(directory: baseDirectory)
        if config?.tokenizerClass == ByteTokenizer.className {
            self = .bytes
            return
        }
        let directory = URL(fileURLWithPath: baseDirectory)
        let file = directory.appendingPathComponent("tokenizer.json").path
        guard FileManager.default.fileExists(atPath: file) else {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("tokenizer.model").path) {
                throw TokenizerError.sentencePieceModelOnly(directory: baseDirectory)
            }
            throw TokenizerError.noTokenizer(directory: baseDirectory)
        }
        let tokenizer = try SentencePieceBPETokenizer(file: file)
        kind = .pieces(tokenizer)
        endId = config?.endToken.flatMap { tokenizer.id(of: $0.content) } ?? tokenizer.id(of: "</s>")
        paddingId = config?.paddingToken.flatMap { tokenizer.id(of: $0.content) } ?? 0
        description = file
    }

    /// `<bos>`-style prefix, the ids of `text`, and with `appendEnd` the end token.
    ///
    /// - Parameter maxTokens: only the first `maxTokens` of those ids, without encoding the rest.
    public func encode(_ text: String, appendEnd: Bool, maxTokens: Int? = nil) -> [Int] {
        let limit = max(0, maxTokens ?? Int.max)
        var ids = switch kind {
        case .bytes: ByteTokenizer().encode(text, maxTokens: limit)
        case let .pieces(tokenizer): tokenizer.encode(text, maxTokens: limit)
        }
        if appendEnd, ids.count < limit, let endId { ids.append(endId) }
        return ids
    }

    public func decode(_ ids: [Int]) -> String {
        switch kind {
        case .bytes: ByteTokenizer().decode(ids)
        case let .pieces(tokenizer): tokenizer.decode(ids)
        }
    }
}
