import Foundation

/// The tokenizer that goes with a base model: a Hugging Face directory or GGUF metadata.
///
/// A directory: this project's byte tokenizer when `tokenizer_config.json` declares it
/// (`"tokenizer_class": "MoLAByteTokenizer"`); else its `tokenizer.json`, byte-level BPE
/// (`ByteLevelBPETokenizer`: LLaMA 3, SmolLM, Qwen2) when its pre-tokenizer or decoder is
/// `ByteLevel`, else LLaMA's SentencePiece-style BPE (`SentencePieceBPETokenizer`); the end token
/// (`eos_token`, appended as the reference appends it) and the padding id (`pad_token`, else 0,
/// which the reference sets for LLaMA; for byte-level, else the end token) from
/// `tokenizer_config.json` when it is there.
///
/// GGUF metadata (`TokenizerVocabulary`): `gpt2` models as byte-level BPE, `llama` ones as
/// SentencePiece by scores (`SentencePieceScoreTokenizer`), with the begin token added when the
/// metadata asks (by default for `llama` and `llama-bpe`, as llama.cpp does).
public struct BaseTokenizer: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case bytes
        case pieces(SentencePieceBPETokenizer)
        case byteLevel(ByteLevelBPETokenizer)
        case scores(SentencePieceScoreTokenizer)
    }

    let kind: Kind
    /// The id appended after each example, if the base has one.
    public let endId: Int?
    /// The id windows are padded with (padding is excluded from statistics unless asked).
    public let paddingId: Int
    /// Which tokenizer this is, for reports: `MoLAByteTokenizer` or the file read.
    public let description: String
    /// The begin-of-text id, if the tokenizer has one.
    public let beginId: Int?
    /// Whether `encode` puts `beginId` first.
    public let addsBegin: Bool
    /// The model's chat template (Jinja), when its metadata or `tokenizer_config.json` has one.
    public let chatTemplate: String?
    /// Ids `encode` puts first that the tokenizer itself does not (GGUF's begin token).
    private let leadingIds: [Int]

    /// This project's byte-level tokenizer.
    public static let bytes = BaseTokenizer(kind: .bytes, endId: ByteTokenizer.end, paddingId: ByteTokenizer.padding,
                                            description: ByteTokenizer.className, beginId: ByteTokenizer.beginning, addsBegin: true)

    private init(kind: Kind, endId: Int?, paddingId: Int, description: String, beginId: Int?, addsBegin: Bool,
                 chatTemplate: String? = nil, leadingIds: [Int] = []) {
        self.kind = kind
        self.endId = endId
        self.paddingId = paddingId
        self.description = description
        self.beginId = beginId
        self.addsBegin = addsBegin
        self.chatTemplate = chatTemplate
        self.leadingIds = leadingIds
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
        let root = try TokenizerFile.read(file)
        if root.isByteLevel {
            let tokenizer = try ByteLevelBPETokenizer(root: root, file: file)
            let endId = config?.endToken.flatMap { tokenizer.id(of: $0.content) }
            let beginId = tokenizer.prefixIds.first ?? config?.beginToken.flatMap { tokenizer.id(of: $0.content) }
            self.init(kind: .byteLevel(tokenizer), endId: endId,
                      paddingId: config?.paddingToken.flatMap { tokenizer.id(of: $0.content) } ?? endId ?? 0,
                      description: file, beginId: beginId, addsBegin: !tokenizer.prefixIds.isEmpty, chatTemplate: config?.chatTemplate)
            return
        }
        let tokenizer = try SentencePieceBPETokenizer(root: root, file: file)
        self.init(kind: .pieces(tokenizer), endId: config?.endToken.flatMap { tokenizer.id(of: $0.content) } ?? tokenizer.id(of: "</s>"),
                  paddingId: config?.paddingToken.flatMap { tokenizer.id(of: $0.content) } ?? 0, description: file,
                  beginId: tokenizer.prefixIds.first ?? tokenizer.id(of: "<s>"), addsBegin: !tokenizer.prefixIds.isEmpty,
                  chatTemplate: config?.chatTemplate)
    }

    /// The tokenizer GGUF metadata describes (`tokenizer.ggml.model` gpt2 or llama).
    ///
    /// - Parameter source: where the metadata came from (the GGUF file), for errors and reports.
    /// - Throws: `TokenizerError` naming `source`: another model, an unknown `pre`, counts or ids
    ///   that do not fit the tokens.
    public init(vocabulary: TokenizerVocabulary, source: String = "GGUF metadata") throws {
        let kind: Kind
        switch vocabulary.model {
        case "gpt2": kind = .byteLevel(try ByteLevelBPETokenizer(vocabulary: vocabulary, source: source))
        case "llama": kind = .scores(try SentencePieceScoreTokenizer(vocabulary: vocabulary, source: source))
        case let other: throw TokenizerError.unsupported(file: source, component: "tokenizer.ggml.model", found: other)
        }
        let addsBegin = vocabulary.bosId != nil && (vocabulary.addBOS ?? (vocabulary.model == "llama" || ["llama-bpe", "llama3", "llama-v3"].contains(vocabulary.pre ?? "")))
        self.init(kind: kind, endId: vocabulary.eosId, paddingId: vocabulary.paddingId ?? vocabulary.eosId ?? 0, description: source,
                  beginId: vocabulary.bosId, addsBegin: addsBegin, chatTemplate: vocabulary.chatTemplate,
                  leadingIds: addsBegin ? vocabulary.bosId.map { [$0] } ?? [] : [])
    }

    /// `<bos>`-style prefix, the ids of `text`, and with `appendEnd` the end token.
    ///
    /// - Parameter maxTokens: only the first `maxTokens` of those ids, without encoding the rest.
    public func encode(_ text: String, appendEnd: Bool, maxTokens: Int? = nil) -> [Int] {
        let limit = max(0, maxTokens ?? Int.max)
        var ids = Array(leadingIds.prefix(limit))
        let rest = limit - ids.count
        let textIds = switch kind {
        case .bytes: ByteTokenizer().encode(text, maxTokens: rest)
        case let .pieces(tokenizer): tokenizer.encode(text, maxTokens: rest)
        case let .byteLevel(tokenizer): tokenizer.encode(text, maxTokens: rest)
        case let .scores(tokenizer): tokenizer.encode(text, maxTokens: rest)
        }
        ids += textIds
        if appendEnd, ids.count < limit, let endId { ids.append(endId) }
        return ids
    }

    /// The text of `ids`; special tokens are skipped.
    public func decode(_ ids: [Int]) -> String {
        switch kind {
        case .bytes: ByteTokenizer().decode(ids)
        case let .pieces(tokenizer): tokenizer.decode(ids)
        default: String(decoding: decodedBytes(ids), as: UTF8.self)
        }
    }

    /// The bytes of `ids`, for printing text as it is generated: the bytes of a list start with
    /// the bytes of each of its prefixes, so a caller holds back only an unfinished UTF-8
    /// character. (`decode` of a prefix can end in U+FFFD where a character is cut.)
    public func decodedBytes(_ ids: [Int]) -> [UInt8] {
        switch kind {
        case .bytes: ids.filter { (0...255).contains($0) }.map { UInt8($0) }
        case let .pieces(tokenizer): tokenizer.decodedBytes(ids)
        case let .byteLevel(tokenizer): tokenizer.decodedBytes(ids)
        case let .scores(tokenizer): tokenizer.decodedBytes(ids)
        }
    }

    /// The id of a piece as the vocabulary spells it (`<|im_end|>`, `Ġthe`), if it has one.
    public func id(of piece: String) -> Int? {
        switch kind {
        case .bytes: ([ByteTokenizer.beginning, ByteTokenizer.end, ByteTokenizer.padding] + Array(0...255)).first { pieces(of: [$0]) == [piece] }
        case let .pieces(tokenizer): tokenizer.id(of: piece)
        case let .byteLevel(tokenizer): tokenizer.id(of: piece)
        case let .scores(tokenizer): tokenizer.vocabulary[ExactText(piece)]
        }
    }

    /// The largest id plus one.
    public var size: Int {
        switch kind {
        case .bytes: ByteTokenizer.minimumVocabulary
        case let .pieces(tokenizer): tokenizer.size
        case let .byteLevel(tokenizer): tokenizer.size
        case let .scores(tokenizer): tokenizer.tokens.count
        }
    }

    /// Each id's piece as the vocabulary spells it (`Ġthe`, `▁the`, `<0x0A>`); `nil` for an id
    /// the tokenizer does not have.
    public func pieces(of ids: [Int]) -> [String?] {
        ids.map { id in
            switch kind {
            case .bytes:
                switch id {
                case 0...255: String(format: "<0x%02X>", id)
                case ByteTokenizer.beginning: "<bos>"
                case ByteTokenizer.end: "<eos>"
                case ByteTokenizer.padding: "<pad>"
                default: nil
                }
            case let .pieces(tokenizer): tokenizer.pieces[id] ?? tokenizer.addedTokenIds.first { $0.value == id }?.key
            case let .byteLevel(tokenizer): tokenizer.piece(of: id)
            case let .scores(tokenizer): tokenizer.tokens.indices.contains(id) ? tokenizer.tokens[id] : nil
            }
        }
    }
}
