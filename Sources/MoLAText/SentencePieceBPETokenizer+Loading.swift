import Foundation
import MoLAFiles

extension SentencePieceBPETokenizer {
    /// Reads `tokenizer.json` (layout at the top of `SentencePieceBPETokenizer`, its type `TokenizerFile`).
    ///
    /// - Throws: `TokenizerError` naming the file and the field that is wrong.
    public init(file: String) throws {
        let root = try TokenizerFile.read(file)
        let model = root.model
        let type = model.type ?? "(none)"
        guard type == "BPE", let rawVocabulary = model.vocabulary, let rawMerges = model.merges else {
            throw TokenizerError.unsupported(file: file, component: "model", found: type)
        }
        for (field, value) in [("continuing_subword_prefix", model.continuingSubwordPrefix), ("end_of_word_suffix", model.endOfWordSuffix)] {
            guard let value, value != .null else { continue }
            let found = if case let .string(text) = value { text } else { value.rendered() }
            throw TokenizerError.unsupported(file: file, component: "model.\(field)", found: found)
        }
        if let dropout = model.dropout, dropout != 0 {
            throw TokenizerError.unsupported(file: file, component: "model.dropout", found: "\(dropout)")
        }

        // Ids index the embedding matrix: each is checked before anything is built from it. Every
        // id must lie below the number of entries the file has (vocabulary plus added tokens), so
        // nothing sized by the largest id can need more memory than the file's own size suggests.
        let addedTokens = root.addedTokens ?? []
        let (entryCount, countOverflow) = rawVocabulary.count.addingReportingOverflow(addedTokens.count)
        let idLimit = countOverflow ? Int.max : entryCount
        var vocabulary: [String: Int] = [:], pieces: [Int: String] = [:]
        // In the pieces' order, so that of two pieces with one id the same one is named every time.
        for (piece, id) in rawVocabulary.sorted(by: { $0.key < $1.key }) {
            guard id >= 0, id < idLimit else {
                throw TokenizerError.idOutOfRange(file: file, piece: piece, id: id, limit: idLimit)
            }
            guard pieces[id] == nil else { throw TokenizerError.badIdentifier(file: file, piece: piece, id: id) }
            vocabulary[piece] = id
            pieces[id] = piece
        }
        var merges: [PairKey: (rank: Int, id: Int)] = [:]
        for (rank, merge) in rawMerges.enumerated() {
            let pair = merge.parts
            guard pair.count == 2 else {
                throw TokenizerError.malformedMerge(file: file, index: rank, merge: pair.joined(separator: " "))
            }
            guard let left = vocabulary[pair[0]], let right = vocabulary[pair[1]], let joined = vocabulary[pair[0] + pair[1]] else {
                throw TokenizerError.mergeOutsideVocabulary(file: file, merge: pair.joined(separator: " "))
            }
            let key = PairKey(left: left, right: right)
            if merges[key] == nil { merges[key] = (rank, joined) }
        }

        // Added tokens in file order: of two with the same content the first wins (in matching
        // and in look-ups alike); an id is the vocabulary's piece or one added token's, never two.
        var added: [(content: [Unicode.Scalar], id: Int)] = []
        var addedIds: [String: Int] = [:], addedContents: [Int: String] = [:]
        for token in addedTokens {
            guard token.id >= 0, token.id < idLimit else {
                throw TokenizerError.idOutOfRange(file: file, piece: token.content, id: token.id, limit: idLimit)
            }
            guard pieces[token.id] == nil || pieces[token.id] == token.content,
                  addedContents[token.id] == nil || addedContents[token.id] == token.content else {
                throw TokenizerError.badIdentifier(file: file, piece: token.content, id: token.id)
            }
            addedContents[token.id] = token.content
            if addedIds[token.content] == nil { addedIds[token.content] = token.id }
            added.append((Array(token.content.unicodeScalars), token.id))
        }
        let lookUp = { (token: String) in vocabulary[token] ?? addedIds[token] }
        let isKnown = { (id: Int) in pieces[id] != nil || addedContents[id] != nil }

        var unknownId: Int?
        if let unknown = model.unknownToken {
            guard let id = lookUp(unknown) else { throw TokenizerError.unknownSpecialToken(file: file, token: unknown) }
            unknownId = id
        }
        let normalizer = try Self.normalizer(root.normalizer, file: file)
        let metaspace = try Self.metaspace(root.preTokenizer, file: file)
        let (prefix, suffix) = try Self.template(root.postProcessor, file: file, lookUp: lookUp, isKnown: isKnown)
        self.init(file: file, vocabulary: vocabulary, pieces: pieces, merges: merges, unknownId: unknownId,
                  byteFallback: model.byteFallback ?? false, fuseUnknown: model.fuseUnknown ?? false,
                  ignoreMerges: model.ignoreMerges ?? false, addedTokenMatcher: AddedTokenMatcher(added), addedTokenIds: addedIds,
                  byteIds: (0...255).map { vocabulary[String(format: "<0x%02X>", $0)] },
                  prependToSegments: normalizer.prepend, spaceReplacement: normalizer.spaceReplacement, metaspace: metaspace,
                  prefixIds: prefix, suffixIds: suffix)
    }

    /// Prepend and space-Replace normalizers (LLaMA 2's older files), alone or in a Sequence.
    private static func normalizer(_ normalizer: TokenizerFile.Normalizer?, file: String) throws -> (prepend: String?, spaceReplacement: String?) {
        guard let normalizer else { return (nil, nil) }
        let parts = normalizer.type == "Sequence" ? (normalizer.normalizers ?? []) : [normalizer]
        var prepend: String?, replacement: String?
        for part in parts {
            switch part.type {
            case "Prepend":
                guard let text = part.prepend else { throw TokenizerError.malformed(file: file, field: "normalizer.prepend", expected: "a string") }
                guard replacement == nil else { throw TokenizerError.unsupported(file: file, component: "normalizer", found: "Replace before Prepend") }
                prepend = text
            case "Replace":
                guard part.pattern?.string == " ", let content = part.content else {
                    throw TokenizerError.unsupported(file: file, component: "normalizer", found: "Replace other than spaces")
                }
                replacement = content
            case let other:
                throw TokenizerError.unsupported(file: file, component: "normalizer", found: other)
            }
        }
        return (prepend, replacement)
    }

    /// Null or Metaspace (newer LLaMA files); anything else, ByteLevel included, is refused.
    private static func metaspace(_ preTokenizer: TokenizerFile.PreTokenizer?, file: String) throws -> Metaspace? {
        guard let preTokenizer else { return nil }
        guard preTokenizer.type == "Metaspace" else { throw TokenizerError.unsupported(file: file, component: "pre_tokenizer", found: preTokenizer.type) }
        let prepend: Metaspace.Prepend
        switch preTokenizer.prependScheme {
        case "always": prepend = .always
        case "first": prepend = .first
        case "never": prepend = .never
        case nil: prepend = (preTokenizer.addPrefixSpace ?? true) ? .always : .never
        case let other?: throw TokenizerError.unsupported(file: file, component: "pre_tokenizer.prepend_scheme", found: other)
        }
        return Metaspace(replacement: preTokenizer.replacement ?? "▁", prepend: prepend, split: preTokenizer.split ?? true)
    }

    /// The special tokens TemplateProcessing's `single` template puts before and after `$A`.
    private static func template(_ processor: TokenizerFile.PostProcessor?, file: String,
                                 lookUp: (String) -> Int?, isKnown: (Int) -> Bool) throws -> (prefix: [Int], suffix: [Int]) {
        guard let processor else { return ([], []) }
        let candidates = processor.type == "Sequence" ? (processor.processors ?? []) : [processor]
        guard let template = candidates.first(where: { $0.type == "TemplateProcessing" }) else {
            throw TokenizerError.unsupported(file: file, component: "post_processor", found: processor.type ?? "(no type)")
        }
        guard let single = template.single else {
            throw TokenizerError.malformed(file: file, field: "post_processor.single", expected: "an array")
        }
        var prefix: [Int] = [], suffix: [Int] = [], seenSequence = false
        for item in single {
            if item.sequence != nil { seenSequence = true; continue }
            guard let name = item.specialToken?.id else {
                throw TokenizerError.malformed(file: file, field: "post_processor.single", expected: "SpecialToken and Sequence items")
            }
            let ids = template.specialTokens?[name]?.ids ?? lookUp(name).map { [$0] }
            guard let ids, !ids.isEmpty else { throw TokenizerError.unknownSpecialToken(file: file, token: name) }
            if let unknown = ids.first(where: { !isKnown($0) }) {
                throw TokenizerError.unknownTemplateId(file: file, token: name, id: unknown)
            }
            if seenSequence { suffix += ids } else { prefix += ids }
        }
        return (prefix, suffix)
    }
}
