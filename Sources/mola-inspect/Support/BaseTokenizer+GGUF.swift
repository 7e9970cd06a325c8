import MoLACheckpoint
import MoLAText

extension BaseTokenizer {
    /// The tokenizer a GGUF file carries in its `tokenizer.ggml.*` metadata: the reader's fields
    /// (`GGUFTokenizerMetadata`) handed to the tokenizer library's `TokenizerVocabulary`, which
    /// knows nothing of GGUF.
    ///
    /// - Throws: `GGUFError` for missing or mistyped keys, `TokenizerError` for a vocabulary that
    ///   does not hold together.
    init(gguf file: GGUFFile) throws {
        try self.init(vocabulary: Self.vocabulary(gguf: file), source: file.path)
    }

    /// The vocabulary of a GGUF file's `tokenizer.ggml.*` metadata.
    static func vocabulary(gguf file: GGUFFile) throws -> TokenizerVocabulary {
        let metadata = try GGUFTokenizerMetadata(file.metadata)
        return TokenizerVocabulary(
            model: metadata.model, pre: metadata.preTokenizer, tokens: metadata.tokens, tokenTypes: metadata.tokenTypes,
            scores: metadata.scores, merges: metadata.merges, bosId: metadata.beginningOfSequenceId,
            eosId: metadata.endOfSequenceId, paddingId: metadata.paddingId, unknownId: metadata.unknownId,
            addBOS: metadata.addsBeginningOfSequence, addEOS: metadata.addsEndOfSequence,
            addSpacePrefix: try file.metadata.optional("tokenizer.ggml.add_space_prefix", file.metadata.bool),
            chatTemplate: metadata.chatTemplate)
    }

    /// A token as the vocabulary spells it, `<unknown N>` for an id it lacks (for reports).
    func piece(of id: Int) -> String {
        pieces(of: [id])[0] ?? "<unknown \(id)>"
    }

    /// The chat template, where it is one `ChatTemplate` can apply.
    var recognisedChatTemplate: ChatTemplate? {
        chatTemplate.flatMap(ChatTemplate.init(jinja:))
    }
}
