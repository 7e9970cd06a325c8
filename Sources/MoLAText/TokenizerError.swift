/// Why a base's tokenizer could not be read or used.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The base directory has neither `tokenizer.json` nor a `tokenizer_config.json` naming the byte tokenizer.
    case noTokenizer(directory: String)
    /// Only `tokenizer.model` (a SentencePiece protobuf) is there.
    case sentencePieceModelOnly(directory: String)
    case unreadable(file: String, reason: String)
    /// A field is missing or has the wrong JSON type.
    case malformed(file: String, field: String, expected: String)
    /// A model, normalizer, pre-tokenizer (a regex, a GGUF `tokenizer.ggml.pre` name) or
    /// post-processor this reader does not implement; `file` is the GGUF file for metadata.
    case unsupported(file: String, component: String, found: String)
    /// A merge names a piece, or makes one, that is not in the vocabulary.
    case mergeOutsideVocabulary(file: String, merge: String)
    /// A vocabulary id is used twice, or an added token's id names another piece.
    case badIdentifier(file: String, piece: String, id: Int)
    /// An id (of the vocabulary or an added token) is negative or not below `limit`, the number of
    /// entries the file has.
    case idOutOfRange(file: String, piece: String, id: Int, limit: Int)
    /// A merge that is not two pieces (`"a b c"`, `["a"]`); `index` counts from 0.
    case malformedMerge(file: String, index: Int, merge: String)
    /// The post-processor gives a special token an id that no piece or added token has.
    case unknownTemplateId(file: String, token: String, id: Int)
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
            "unsupported tokenizer \(component) \(found) (\(file))"
        case let .mergeOutsideVocabulary(file, merge): "merge \"\(merge)\" uses or makes a piece missing from the vocabulary (\(file))"
        case let .badIdentifier(file, piece, id): "id \(id) of \"\(piece)\" is already another piece's (\(file))"
        case let .idOutOfRange(file, piece, id, limit):
            "id \(id) of \"\(piece)\" is outside 0..<\(limit), the number of vocabulary entries and added tokens (\(file))"
        case let .malformedMerge(file, index, merge): "merge \(index) \"\(merge)\" is not two pieces (\(file))"
        case let .unknownTemplateId(file, token, id):
            "the post-processor gives special token \"\(token)\" id \(id), which no piece or added token has (\(file))"
        case let .unknownSpecialToken(file, token): "special token \"\(token)\" is not in the vocabulary (\(file))"
        }
    }
}
