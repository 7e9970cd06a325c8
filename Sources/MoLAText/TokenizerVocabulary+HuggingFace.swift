import MoLAFiles

extension TokenizerVocabulary {
    /// The Hugging Face files of this vocabulary (`model` gpt2: byte-level BPE), as the
    /// `tokenizers` library reads them and gives the same ids as `BaseTokenizer(vocabulary:)`:
    ///
    /// 1. `tokenizer.json`: `model` BPE with `vocab` (token to id) and `merges` by rank,
    ///    `ignore_merges` for LLaMA 3's pre-tokenizer; `added_tokens` the control, user-defined and
    ///    unknown tokens (matched in the raw text, as llama.cpp matches them; control ones special);
    ///    `pre_tokenizer` each step of the GGUF `pre` as a `Split` on its regex (`Digits` for digit
    ///    runs), then `ByteLevel` without its own regex; `decoder` `ByteLevel`; `post_processor` a
    ///    template putting the beginning token first where the tokenizer adds it.
    /// 2. `tokenizer_config.json`: the special tokens by name and the chat template.
    ///
    /// - Parameter contextLength: the model's context, `model_max_length`.
    /// - Throws: `TokenizerError.unsupported` for a vocabulary other than byte-level BPE, and the
    ///   errors building that tokenizer would throw.
    public func huggingFaceFiles(source: String, contextLength: Int?) throws -> (tokenizer: JSONValue, config: TokenizerConfig) {
        guard model == "gpt2" else {
            throw TokenizerError.unsupported(file: source, component: "tokenizer.ggml.model (writing tokenizer.json)", found: model)
        }
        let types = try types(source: source)
        try checkSpecialIds(source: source)
        let steps = try ByteLevelBPETokenizer.steps(ofPre: pre, source: source)
        let vocabulary = JSONValue.object(tokens.enumerated().map { ($0.element, .integer($0.offset)) })
        let mergePairs = JSONValue.array((merges ?? []).map { merge in
            .array(merge.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map { .string(String($0)) })
        })
        let added = tokens.indices.filter { [.control, .userDefined, .unknown].contains(types[$0]) }.map { id -> JSONValue in
            .object([("id", .integer(id)), ("content", .string(tokens[id])), ("single_word", .bool(false)), ("lstrip", .bool(false)),
                     ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(types[id] != .userDefined))])
        }
        let byteLevel = JSONValue.object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(steps.contains(.prefixSpace))),
                                          ("trim_offsets", .bool(true)), ("use_regex", .bool(false))])
        let preTokenizer = JSONValue.object([("type", .string("Sequence")),
                                             ("pretokenizers", .array(steps.compactMap(Self.huggingFaceStep) + [byteLevel]))])
        let addsBegin = bosId != nil && (addBOS ?? (pre == "llama-bpe"))
        var postProcessor = JSONValue.null
        if addsBegin, let bosId {
            let begin = tokens[bosId]
            postProcessor = .object([
                ("type", .string("TemplateProcessing")),
                ("single", .array([.object([("SpecialToken", .object([("id", .string(begin)), ("type_id", .integer(0))]))]),
                                   .object([("Sequence", .object([("id", .string("A")), ("type_id", .integer(0))]))])])),
                ("pair", .array([.object([("SpecialToken", .object([("id", .string(begin)), ("type_id", .integer(0))]))]),
                                 .object([("Sequence", .object([("id", .string("A")), ("type_id", .integer(0))]))]),
                                 .object([("Sequence", .object([("id", .string("B")), ("type_id", .integer(1))]))])])),
                ("special_tokens", .object([(begin, .object([("id", .string(begin)), ("ids", .array([.integer(bosId)])),
                                                             ("tokens", .array([.string(begin)]))]))])),
            ])
        }
        let tokenizer = JSONValue.object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array(added)),
            ("normalizer", .null), ("pre_tokenizer", preTokenizer), ("post_processor", postProcessor),
            ("decoder", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(true)), ("trim_offsets", .bool(true)),
                                 ("use_regex", .bool(true))])),
            ("model", .object([("type", .string("BPE")), ("dropout", .null), ("unk_token", unknownId.map { .string(tokens[$0]) } ?? .null),
                               ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)),
                               ("byte_fallback", .bool(false)), ("ignore_merges", .bool(pre == "llama-bpe" || pre == "llama3")),
                               ("vocab", vocabulary), ("merges", mergePairs)])),
        ])
        let name = { (id: Int?) in id.map { TokenizerConfig.TokenName(tokens[$0]) } }
        var config = TokenizerConfig(tokenizerClass: "PreTrainedTokenizerFast", beginToken: name(bosId), endToken: name(eosId),
                                     paddingToken: name(paddingId), chatTemplate: chatTemplate)
        config.modelMaxLength = contextLength
        return (tokenizer, config)
    }

    /// A pre-tokenizer step as the `tokenizers` library spells it (`prefixSpace` is `ByteLevel`'s own).
    private static func huggingFaceStep(_ step: ByteLevelPreTokenizer.Step) -> JSONValue? {
        func split(_ regex: String) -> JSONValue {
            .object([("type", .string("Split")), ("pattern", .object([("Regex", .string(regex))])),
                     ("behavior", .string("Isolated")), ("invert", .bool(false))])
        }
        switch step {
        case .prefixSpace: return nil
        case let .digits(individual): return .object([("type", .string("Digits")), ("individual_digits", .bool(individual))])
        case .punctuation: return split(#"[\p{P}\$\+<=>\^~\|]+"#)
        case .digitTriples: return split("[0-9][0-9][0-9]")
        case .gpt2, .llama3:
            // The longest known spelling of the step's regex (GPT-2's with its final `|\s+`).
            return split(ByteLevelBPETokenizer.knownPatterns.filter { $0.value == step }.keys.max { $0.count < $1.count }!)
        }
    }
}
