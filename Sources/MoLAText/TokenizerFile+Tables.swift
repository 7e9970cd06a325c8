import Foundation
import MoLAFiles

extension TokenizerFile {
    /// The vocabulary, merges and added tokens of a BPE `tokenizer.json`, every id checked: what
    /// the SentencePiece-style and the byte-level readers share.
    struct Tables {
        var vocabulary: [String: Int] = [:]
        var pieces: [Int: String] = [:]
        var merges: BytePairMerge.Table = [:]
        /// Added tokens in file order, for `AddedTokenMatcher`.
        var addedTokens: [(content: [Unicode.Scalar], id: Int)] = []
        var addedIds: [String: Int] = [:]
        var addedContents: [Int: String] = [:]
        /// Added tokens marked `special` (skipped when decoding).
        var specialIds: Set<Int> = []

        /// The id of a piece or added token.
        func lookUp(_ token: String) -> Int? { vocabulary[token] ?? addedIds[token] }

        /// Whether a piece or an added token has this id.
        func isKnown(_ id: Int) -> Bool { pieces[id] != nil || addedContents[id] != nil }

        /// - Throws: `TokenizerError` naming the file and the piece, merge or token that is wrong.
        init(model: Model, addedTokens fileAddedTokens: [AddedToken], file: String) throws {
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
            let (entryCount, countOverflow) = rawVocabulary.count.addingReportingOverflow(fileAddedTokens.count)
            let idLimit = countOverflow ? Int.max : entryCount
            // In the pieces' order, so that of two pieces with one id the same one is named every time.
            for (piece, id) in rawVocabulary.sorted(by: { $0.key < $1.key }) {
                guard id >= 0, id < idLimit else {
                    throw TokenizerError.idOutOfRange(file: file, piece: piece, id: id, limit: idLimit)
                }
                guard pieces[id] == nil else { throw TokenizerError.badIdentifier(file: file, piece: piece, id: id) }
                vocabulary[piece] = id
                pieces[id] = piece
            }
            for (rank, merge) in rawMerges.enumerated() {
                let pair = merge.parts
                guard pair.count == 2 else {
                    throw TokenizerError.malformedMerge(file: file, index: rank, merge: pair.joined(separator: " "))
                }
                guard let left = vocabulary[pair[0]], let right = vocabulary[pair[1]], let joined = vocabulary[pair[0] + pair[1]] else {
                    throw TokenizerError.mergeOutsideVocabulary(file: file, merge: pair.joined(separator: " "))
                }
                let key = BytePairMerge.PairKey(left: left, right: right)
                if merges[key] == nil { merges[key] = (rank, joined) }
            }
            // Added tokens in file order: of two with the same content the first wins (in matching
            // and in look-ups alike); an id is the vocabulary's piece or one added token's, never two.
            for token in fileAddedTokens {
                guard token.id >= 0, token.id < idLimit else {
                    throw TokenizerError.idOutOfRange(file: file, piece: token.content, id: token.id, limit: idLimit)
                }
                guard pieces[token.id] == nil || pieces[token.id] == token.content,
                      addedContents[token.id] == nil || addedContents[token.id] == token.content else {
                    throw TokenizerError.badIdentifier(file: file, piece: token.content, id: token.id)
                }
                addedContents[token.id] = token.content
                if addedIds[token.content] == nil { addedIds[token.content] = token.id }
                if token.special ?? false { specialIds.insert(token.id) }
                addedTokens.append((Array(token.content.unicodeScalars), token.id))
            }
        }
    }

    /// The special tokens TemplateProcessing's `single` template puts before and after `$A`
    /// (none for a `ByteLevel` post-processor alone).
    static func template(_ processor: TokenizerFile.PostProcessor?, file: String,
                                 lookUp: (String) -> Int?, isKnown: (Int) -> Bool) throws -> (prefix: [Int], suffix: [Int]) {
        guard let processor else { return ([], []) }
        let candidates = processor.type == "Sequence" ? (processor.processors ?? []) : [processor]
        guard let template = candidates.first(where: { $0.type == "TemplateProcessing" }) else {
            // ByteLevel's post-processor only trims offsets, which ids do not have.
            if candidates.allSatisfy({ $0.type == "ByteLevel" }) { return ([], []) }
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
