import Foundation

extension ByteLevelBPETokenizer {
    /// Reads a byte-level `tokenizer.json`: the BPE model and added tokens as
    /// `SentencePieceBPETokenizer` reads them (`TokenizerFile.Tables`), and
    /// 1. `normalizer`: null or `NFC` (Qwen2).
    /// 2. `pre_tokenizer`: `ByteLevel(add_prefix_space, use_regex)`, `Split` with one of the known
    ///    regexes (`knownPatterns`) and behaviour `Isolated`, `Digits(individual_digits)`, alone or
    ///    in a `Sequence`. An unknown regex is refused, naming it.
    /// 3. `post_processor`: null, `ByteLevel`, or `TemplateProcessing` (LLaMA 3: `<|begin_of_text|>
    ///    $A`), alone or in a `Sequence`.
    ///
    /// - Throws: `TokenizerError` naming the file and the field that is wrong.
    public init(file: String) throws {
        try self.init(root: TokenizerFile.read(file), file: file)
    }

    /// From the file already read (`BaseTokenizer` reads it once to choose the reader).
    init(root: TokenizerFile, file: String) throws {
        let tables = try TokenizerFile.Tables(model: root.model, addedTokens: root.addedTokens ?? [], file: file)
        var unknownId: Int?
        if let unknown = root.model.unknownToken {
            guard let id = tables.lookUp(unknown) else { throw TokenizerError.unknownSpecialToken(file: file, token: unknown) }
            unknownId = id
        }
        var normalizesToNFC = false
        if let normalizer = root.normalizer {
            guard normalizer.type == "NFC" else { throw TokenizerError.unsupported(file: file, component: "normalizer", found: normalizer.type) }
            normalizesToNFC = true
        }
        let steps = try Self.steps(of: root.preTokenizer, file: file)
        let (prefix, suffix) = try TokenizerFile.template(root.postProcessor, file: file, lookUp: tables.lookUp, isKnown: tables.isKnown)
        self.init(source: file, vocabulary: tables.vocabulary, pieces: tables.pieces.merging(tables.addedContents) { piece, _ in piece },
                  merges: tables.merges, byteIds: ByteLevelAlphabet.characters.map { tables.vocabulary[String($0)] },
                  unknownId: unknownId, ignoreMerges: root.model.ignoreMerges ?? false, normalizesToNFC: normalizesToNFC,
                  preTokenizer: ByteLevelPreTokenizer(steps: steps), addedTokenMatcher: AddedTokenMatcher(tables.addedTokens),
                  addedTokenIds: tables.addedIds, skippedIds: tables.specialIds, rawTextIds: [], prefixIds: prefix, suffixIds: suffix)
    }

    /// The regexes of `Split` pre-tokenizers this reader knows, by their exact text.
    static let knownPatterns: [String: ByteLevelPreTokenizer.Step] = [
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: .gpt2,
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#: .gpt2,
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            .llama3(maximumDigits: 3),
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            .llama3(maximumDigits: 1),
    ]

    /// The steps of a `tokenizer.json` pre-tokenizer (none without one: each stretch of text is one word).
    static func steps(of preTokenizer: TokenizerFile.PreTokenizer?, file: String) throws -> [ByteLevelPreTokenizer.Step] {
        guard let preTokenizer else { return [] }
        switch preTokenizer.type {
        case "Sequence":
            return try (preTokenizer.pretokenizers ?? []).flatMap { try steps(of: $0, file: file) }
        case "ByteLevel":
            return ((preTokenizer.addPrefixSpace ?? true) ? [.prefixSpace] : []) + ((preTokenizer.useRegex ?? true) ? [.gpt2] : [])
        case "Digits":
            return [.digits(individual: preTokenizer.individualDigits ?? false)]
        case "Split":
            guard let regex = preTokenizer.pattern?.regex else {
                let found = preTokenizer.pattern?.string.map { "String \($0)" } ?? "(none)"
                throw TokenizerError.unsupported(file: file, component: "pre_tokenizer.pattern", found: found)
            }
            guard let step = knownPatterns[regex] else {
                throw TokenizerError.unsupported(file: file, component: "pre_tokenizer.pattern", found: regex)
            }
            let behavior = preTokenizer.behavior ?? "(none)"
            guard behavior == "Isolated", !(preTokenizer.invert ?? false) else {
                let found = (preTokenizer.invert ?? false) ? "\(behavior), inverted" : behavior
                throw TokenizerError.unsupported(file: file, component: "pre_tokenizer.behavior", found: found)
            }
            return [step]
        case let other:
            throw TokenizerError.unsupported(file: file, component: "pre_tokenizer", found: other)
        }
    }

    /// The pre-tokenizers of llama.cpp's `tokenizer.ggml.pre` names (`src/llama-vocab.cpp`; its
    /// name for GPT-2's is `gpt-2`, `gpt2` is taken too).
    static func steps(ofPre pre: String?, source: String) throws -> [ByteLevelPreTokenizer.Step] {
        switch pre ?? "default" {
        case "gpt-2", "gpt2": return [.gpt2]
        case "llama-bpe", "llama3", "llama-v3": return [.llama3(maximumDigits: 3)]
        case "qwen2": return [.llama3(maximumDigits: 1)]
        case "smollm": return [.digits(individual: true), .gpt2]
        case "default", "": return [.punctuation, .gpt2, .digits(individual: false), .digitTriples]
        case let other: throw TokenizerError.unsupported(file: source, component: "tokenizer.ggml.pre", found: other)
        }
    }

    /// Byte-level BPE from GGUF metadata (`model` gpt2): ids are the tokens' positions; control,
    /// user-defined and unknown tokens are matched in the raw text first; control and unknown
    /// tokens decode to nothing, user-defined ones to their own text.
    ///
    /// - Parameter source: where the vocabulary came from, for errors (the GGUF file).
    /// - Throws: `TokenizerError` naming `source` and the field that is wrong.
    public init(vocabulary: TokenizerVocabulary, source: String) throws {
        let types = try vocabulary.types(source: source)
        try vocabulary.checkSpecialIds(source: source)
        let steps = try Self.steps(ofPre: vocabulary.pre, source: source)
        guard let rawMerges = vocabulary.merges else {
            throw TokenizerError.malformed(file: source, field: "tokenizer.ggml.merges", expected: "the merges of a gpt2 tokenizer")
        }
        let ids = vocabulary.ids
        var merges: BytePairMerge.Table = [:]
        for (rank, merge) in rawMerges.enumerated() {
            // The first space after the first character splits, as llama.cpp reads it.
            guard let space = merge.dropFirst().firstIndex(of: " ") else {
                throw TokenizerError.malformedMerge(file: source, index: rank, merge: merge)
            }
            let left = String(merge[..<space]), right = String(merge[merge.index(after: space)...])
            guard let leftId = ids[left], let rightId = ids[right], let joined = ids[left + right] else {
                throw TokenizerError.mergeOutsideVocabulary(file: source, merge: merge)
            }
            let key = BytePairMerge.PairKey(left: leftId, right: rightId)
            if merges[key] == nil { merges[key] = (rank, joined) }
        }
        let indices = vocabulary.tokens.indices
        self.init(source: source, vocabulary: ids, pieces: Dictionary(uniqueKeysWithValues: zip(indices, vocabulary.tokens)),
                  merges: merges, byteIds: ByteLevelAlphabet.characters.map { ids[String($0)] }, unknownId: vocabulary.unknownId,
                  ignoreMerges: ["llama-bpe", "llama3", "llama-v3"].contains(vocabulary.pre ?? ""), normalizesToNFC: false, preTokenizer: ByteLevelPreTokenizer(steps: steps),
                  addedTokenMatcher: AddedTokenMatcher(vocabulary.specialTokens(types: types)), addedTokenIds: [:],
                  skippedIds: Set(indices.filter { types[$0] == .control || types[$0] == .unknown }),
                  rawTextIds: Set(indices.filter { types[$0] == .userDefined }), prefixIds: [], suffixIds: [])
    }
}
