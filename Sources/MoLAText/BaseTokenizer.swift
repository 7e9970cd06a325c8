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
    /// The model's chat template, where it is one `ChatTemplate` can apply.
    public let chatTemplate: ChatTemplate?

    /// This project's byte-level tokenizer.
    public static let bytes = BaseTokenizer(kind: .bytes, endId: ByteTokenizer.end, paddingId: ByteTokenizer.padding,
                                            description: ByteTokenizer.className)

    private init(kind: Kind, endId: Int?, paddingId: Int, description: String) {
        self.kind = kind
        chatTemplate = nil
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
        chatTemplate = config?.chatTemplate.flatMap(ChatTemplate.init(jinja:))
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

    /// The id of a piece or special token, if the tokenizer has it.
    public func id(of piece: String) -> Int? {
        switch kind {
        case .bytes: [ByteTokenizer.beginning: "<bos>", ByteTokenizer.end: "<eos>", ByteTokenizer.padding: "<pad>"].first { $0.value == piece }?.key
        case let .pieces(tokenizer): tokenizer.id(of: piece)
        }
    }

    /// A token as the vocabulary spells it (`▁the`, `<0x0A>`, `<s>`); bytes of the byte
    /// tokenizer as `<0xXX>`; `<unknown N>` for an id the vocabulary lacks.
    public func piece(of id: Int) -> String {
        switch kind {
        case .bytes:
            switch id {
            case 0...255: String(format: "<0x%02X>", id)
            case ByteTokenizer.beginning: "<bos>"
            case ByteTokenizer.end: "<eos>"
            case ByteTokenizer.padding: "<pad>"
            default: "<unknown \(id)>"
            }
        case let .pieces(tokenizer): tokenizer.pieces[id] ?? "<unknown \(id)>"
        }
    }

    public func decode(_ ids: [Int]) -> String {
        switch kind {
        case .bytes: ByteTokenizer().decode(ids)
        case let .pieces(tokenizer): tokenizer.decode(ids)
        }
    }
}
