/// Why a base's tokenizer could not be read or used.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The base directory has neither `tokenizer.json` nor a `tokenizer_config.json` naming the byte tokenizer.
    case noTokenizer(directory: String)
    /// Only `tokenizer.model` (a SentencePiece protobuf) is there.
    case sentencePieceModelOnly(directory: String)
    case unreadable(file: String, reason: String)
    /// A field is missing or has the wrong JSON type.
    case malformed(file: String, field: String, expected: String)
    /// A model, normalizer or pre-tokenizer this reader does not implement.
    case unsupported(file: String, component: String, found: String)
    /// A merge names a piece, or makes one, that is not in the vocabulary.
    case mergeOutsideVocabulary(file: String, merge: String)
    /// A vocabulary id is negative or used twice.
    case badIdentifier(file: String, piece: String, id: Int)
    /// A special token the tokenizer needs (`unk_token`, the post-processor's) is not in the vocabulary.
    case unknownSpecialToken(file: String, token: String)

    public var description: String {
        switch self {
        case let .noTokenizer(directory):
            "the base has no tokenizer.json and does not declare the built-in byte tokenizer (\(directory))"
        case let .sentencePieceModelOnly(directory):
            "the base has only tokenizer.model (SentencePiece protobuf); this project reads tokenizer.json (\(directory))"
        case let .unreadable(file, reason): "cannot read the tokenizer: \(reason) (\(file))"
        case let .malformed(file, field, expected): "tokenizer field \(field) should be \(expected) (\(file))"
        case let .unsupported(file, component, found):
            "unsupported tokenizer \(component) \(found): only LLaMA's SentencePiece-style BPE is implemented (\(file))"
        case let .mergeOutsideVocabulary(file, merge): "merge \"\(merge)\" uses or makes a piece missing from the vocabulary (\(file))"
        case let .badIdentifier(file, piece, id): "vocabulary id \(id) of \"\(piece)\" is negative or taken twice (\(file))"
        case let .unknownSpecialToken(file, token): "special token \"\(token)\" is not in the vocabulary (\(file))"
        }
    }
}
