import Foundation
import MoLAFiles

extension SentencePieceBPETokenizer {
    /// Reads `tokenizer.json` (layout at the top of `SentencePieceBPETokenizer`, its type `TokenizerFile`).
    ///
    /// - Throws: `TokenizerError` naming the file and the field that is wrong.
    public init(file: String) throws {
        try self.init(root: TokenizerFile.read(file), file: file)
    }

    /// From the file already read (`BaseTokenizer` reads it once to choose the reader).
    init(root: TokenizerFile, file: String) throws {
        let model = root.model
        let tables = try TokenizerFile.Tables(model: model, addedTokens: root.addedTokens ?? [], file: file)
        let vocabulary = tables.vocabulary, lookUp = tables.lookUp, isKnown = tables.isKnown

        var unknownId: Int?
        if let unknown = model.unknownToken {
            guard let id = lookUp(unknown) else { throw TokenizerError.unknownSpecialToken(file: file, token: unknown) }
            unknownId = id
        }
        let normalizer = try Self.normalizer(root.normalizer, file: file)
        let metaspace = try Self.metaspace(root.preTokenizer, file: file)
        let (prefix, suffix) = try TokenizerFile.template(root.postProcessor, file: file, lookUp: lookUp, isKnown: isKnown)
        self.init(file: file, vocabulary: vocabulary, pieces: tables.pieces, merges: tables.merges, unknownId: unknownId,
                  byteFallback: model.byteFallback ?? false, fuseUnknown: model.fuseUnknown ?? false,
                  ignoreMerges: model.ignoreMerges ?? false, addedTokenMatcher: AddedTokenMatcher(tables.addedTokens), addedTokenIds: tables.addedIds,
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
}
