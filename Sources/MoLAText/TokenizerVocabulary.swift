/// A tokenizer as GGUF metadata describes it (`tokenizer.ggml.*`), as plain values: the GGUF
/// reader fills it in and `BaseTokenizer(vocabulary:)` builds the tokenizer, so this module needs
/// no checkpoint code. Its JSON spelling (the property names) is what the golden tests store.
///
/// - `model`: `gpt2` (byte-level BPE, `ByteLevelBPETokenizer`) or `llama` (SentencePiece by
///   scores, `SentencePieceScoreTokenizer`).
/// - `pre`: the pre-tokenizer of a `gpt2` model: `gpt-2` (or `gpt2`), `llama-bpe` (or `llama3`,
///   `llama-v3`), `smollm`, `qwen2` or `default` (also when absent or empty, as llama.cpp does).
/// - `tokens[i]` is id i's piece; `tokenTypes[i]` its `TokenType`; `scores[i]` its SentencePiece
///   score; `merges` are `"left right"`, earliest first.
public struct TokenizerVocabulary: Sendable, Equatable, Codable {
    /// `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public var model: String
    public var pre: String?
    public var tokens: [String]
    public var tokenTypes: [Int32]?
    public var scores: [Float]?
    public var merges: [String]?
    public var bosId: Int?
    public var eosId: Int?
    public var paddingId: Int?
    public var unknownId: Int?
    public var addBOS: Bool?
    public var addEOS: Bool?
    /// `tokenizer.ggml.add_space_prefix` (SentencePiece; llama.cpp's default is true).
    public var addSpacePrefix: Bool?
    public var chatTemplate: String?

    public init(model: String, pre: String? = nil, tokens: [String], tokenTypes: [Int32]? = nil, scores: [Float]? = nil,
                merges: [String]? = nil, bosId: Int? = nil, eosId: Int? = nil, paddingId: Int? = nil, unknownId: Int? = nil,
                addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil, chatTemplate: String? = nil) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.merges = merges
        self.bosId = bosId
        self.eosId = eosId
        self.paddingId = paddingId
        self.unknownId = unknownId
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.chatTemplate = chatTemplate
    }

    /// Each token's type, `normal` where the metadata gives none.
    func types(source: String) throws -> [TokenType] {
        guard let tokenTypes else { return Array(repeating: .normal, count: tokens.count) }
        guard tokenTypes.count == tokens.count else {
            throw TokenizerError.malformed(file: source, field: "tokenizer.ggml.token_type", expected: "\(tokens.count) entries, one per token")
        }
        return tokenTypes.map { TokenType(rawValue: $0) ?? .normal }
    }

    /// The tokens matched in the raw text before anything else, as llama.cpp does: control,
    /// user-defined and unknown ones.
    func specialTokens(types: [TokenType]) -> [(content: [Unicode.Scalar], id: Int)] {
        tokens.indices.filter { [.control, .userDefined, .unknown].contains(types[$0]) }.map { (Array(tokens[$0].unicodeScalars), $0) }
    }

    /// Each token's id by its text; of two tokens with one text the later, as llama.cpp keeps it.
    var ids: [String: Int] {
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() { ids[token] = id }
        return ids
    }

    /// Checks that each special id names a token.
    func checkSpecialIds(source: String) throws {
        for (field, id) in [("bos_token_id", bosId), ("eos_token_id", eosId), ("padding_token_id", paddingId), ("unknown_token_id", unknownId)] {
            guard let id else { continue }
            guard id >= 0, id < tokens.count else {
                throw TokenizerError.idOutOfRange(file: source, piece: "tokenizer.ggml.\(field)", id: id, limit: tokens.count)
            }
        }
    }
}
