import Foundation
import MoLAFiles

/// `tokenizer.json` as the `tokenizers` library writes it: the parts `SentencePieceBPETokenizer`
/// reads (its documentation lists the rules). Fields it does not use are ignored; a model of
/// another type is decoded only as far as its `type`, so that it can be refused by name.
struct TokenizerFile: Codable {
    var model: Model
    var addedTokens: [AddedToken]?
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var postProcessor: PostProcessor?
    var decoder: DecoderStep?

    enum CodingKeys: String, CodingKey {
        case model, addedTokens = "added_tokens", normalizer, preTokenizer = "pre_tokenizer", postProcessor = "post_processor"
        case decoder
    }

    /// Whether the file is byte-level BPE (GPT-2, LLaMA 3, Qwen2, SmolLM): its pre-tokenizer or
    /// its decoder is `ByteLevel`.
    var isByteLevel: Bool { (preTokenizer?.isByteLevel ?? false) || (decoder?.isByteLevel ?? false) }

    struct Model: Codable {
        var type: String?
        /// Present for `BPE` (the rest are not decoded for other types).
        var vocabulary: [String: Int]?
        var merges: [Merge]?
        var unknownToken: String?
        var byteFallback: Bool?
        var fuseUnknown: Bool?
        var ignoreMerges: Bool?
        var dropout: Double?
        /// Must be null: word-piece style prefixes and suffixes are not implemented.
        var continuingSubwordPrefix: JSONValue?
        var endOfWordSuffix: JSONValue?

        enum CodingKeys: String, CodingKey {
            case type, vocabulary = "vocab", merges, unknownToken = "unk_token", byteFallback = "byte_fallback"
            case fuseUnknown = "fuse_unk", ignoreMerges = "ignore_merges", dropout
            case continuingSubwordPrefix = "continuing_subword_prefix", endOfWordSuffix = "end_of_word_suffix"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decodeIfPresent(String.self, forKey: .type)
            guard type == "BPE" else { return }
            vocabulary = try container.decode([String: TokenId].self, forKey: .vocabulary).mapValues(\.value)
            merges = try container.decode([Merge].self, forKey: .merges)
            unknownToken = try container.decodeIfPresent(String.self, forKey: .unknownToken)
            byteFallback = try container.decodeIfPresent(Bool.self, forKey: .byteFallback)
            fuseUnknown = try container.decodeIfPresent(Bool.self, forKey: .fuseUnknown)
            ignoreMerges = try container.decodeIfPresent(Bool.self, forKey: .ignoreMerges)
            dropout = try container.decodeIfPresent(Double.self, forKey: .dropout)
            continuingSubwordPrefix = try container.decodeIfPresent(JSONValue.self, forKey: .continuingSubwordPrefix)
            endOfWordSuffix = try container.decodeIfPresent(JSONValue.self, forKey: .endOfWordSuffix)
        }
    }

    /// `"a b"` (older files) or `["a", "b"]` (newer ones).
    struct Merge: Codable {
        var parts: [String]

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                parts = try container.decode([String].self)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(parts)
        }
    }

    struct AddedToken: Codable {
        var id: Int
        var content: String
        /// Special tokens are skipped when decoding.
        var special: Bool?

        enum CodingKeys: String, CodingKey { case id, content, special }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(TokenId.self, forKey: .id).value
            content = try container.decode(String.self, forKey: .content)
            special = try container.decodeIfPresent(Bool.self, forKey: .special)
        }
    }

    /// An id as the file writes it. Foundation's decoder reports a fraction or a number past 64
    /// bits, asked for as an integer, as invalid JSON without naming the field; this names it.
    struct TokenId: Decodable {
        var value: Int

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) {
                self.value = value
            } else if let number = try? container.decode(Double.self) {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(number) is not an integer id")
            } else {
                value = try container.decode(Int.self)  // the type mismatch: a string, a boolean
            }
        }
    }

    /// `Prepend`, `Replace` or a `Sequence` of them (others are refused by type).
    struct Normalizer: Codable {
        var type: String
        var normalizers: [Normalizer]?
        var prepend: String?
        var pattern: Pattern?
        var content: String?

    }

    /// A `Replace` normalizer's or a `Split` pre-tokenizer's pattern: a literal or a regex.
    struct Pattern: Codable {
        var string: String?
        var regex: String?
        enum CodingKeys: String, CodingKey { case string = "String", regex = "Regex" }
    }

    /// `Metaspace` (SentencePiece-style); `ByteLevel`, `Split`, `Digits` and a `Sequence` of them
    /// (byte-level). Others are refused by type.
    struct PreTokenizer: Codable {
        var type: String
        var replacement: String?
        var prependScheme: String?
        var addPrefixSpace: Bool?
        var split: Bool?
        var useRegex: Bool?
        var pattern: Pattern?
        var behavior: String?
        var invert: Bool?
        var individualDigits: Bool?
        var pretokenizers: [PreTokenizer]?

        enum CodingKeys: String, CodingKey {
            case type, replacement, prependScheme = "prepend_scheme", addPrefixSpace = "add_prefix_space", split
            case useRegex = "use_regex", pattern, behavior, invert, individualDigits = "individual_digits", pretokenizers
        }

        /// Whether this is, or a `Sequence` holding, a `ByteLevel` pre-tokenizer.
        var isByteLevel: Bool {
            type == "ByteLevel" || (pretokenizers ?? []).contains { $0.isByteLevel }
        }
    }

    /// Only the type is read: `ByteLevel` marks a byte-level file.
    struct DecoderStep: Codable {
        var type: String?
        var decoders: [DecoderStep]?

        var isByteLevel: Bool { type == "ByteLevel" || (decoders ?? []).contains { $0.isByteLevel } }
    }

    /// `TemplateProcessing`, alone or in a `Sequence` (others are refused by type).
    struct PostProcessor: Codable {
        var type: String?
        var processors: [PostProcessor]?
        var single: [TemplateItem]?
        var specialTokens: [String: SpecialToken]?

        enum CodingKeys: String, CodingKey { case type, processors, single, specialTokens = "special_tokens" }

        /// One piece of a template: a special token by name, or the sequence itself.
        struct TemplateItem: Codable {
            var specialToken: Name?
            var sequence: JSONValue?

            struct Name: Codable { var id: String }
            enum CodingKeys: String, CodingKey { case specialToken = "SpecialToken", sequence = "Sequence" }
        }

        struct SpecialToken: Codable {
            var ids: [Int]?

            enum CodingKeys: String, CodingKey { case ids }

            init(from decoder: any Decoder) throws {
                ids = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([TokenId].self, forKey: .ids)?.map(\.value)
            }
        }
    }

    /// Reads `file`.
    ///
    /// - Throws: `InputFileError` when the file cannot be read, `TokenizerError.unreadable` or
    ///   `.malformed` naming the field.
    static func read(_ file: String) throws -> TokenizerFile {
        let data = try InputFile.contents(of: file, limit: JSONDocument.sizeLimit)
        do {
            return try JSONDecoder().decode(TokenizerFile.self, from: data)
        } catch let error as DecodingError {
            throw malformed(error, file: file)
        }
    }

    /// What each field should be, in the words of the errors.
    private static func malformed(_ error: DecodingError, file: String) -> TokenizerError {
        var path: [any CodingKey]
        var expected = "present"
        switch error {
        case let .keyNotFound(key, context): path = context.codingPath + [key]
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            path = context.codingPath
            expected = JSONDocumentError.article(type)
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return .unreadable(file: file, reason: "not JSON") }
            path = context.codingPath
        @unknown default: path = []
        }
        let names = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        func field(_ count: Int) -> String {
            names.prefix(count).enumerated().map { $0.offset > 0 && !$0.element.hasPrefix("[") ? "." + $0.element : $0.element }.joined()
        }
        switch names.first {
        case nil: return .malformed(file: file, field: "(top level)", expected: "an object")
        case "model":
            switch (names.count, names.dropFirst().first) {
            case (1, _): return .malformed(file: file, field: "model", expected: "an object")
            case (2, "vocab"): return .malformed(file: file, field: "model.vocab", expected: "an object of piece: id")
            case (_, "vocab"): return .malformed(file: file, field: "model.vocab[\(names[2])]", expected: "an integer id")
            case (2, "merges"): return .malformed(file: file, field: "model.merges", expected: "an array")
            case (_, "merges"): return .malformed(file: file, field: field(3), expected: "\"a b\" or [\"a\", \"b\"]")
            default: return .malformed(file: file, field: field(names.count), expected: expected)
            }
        case "added_tokens" where names.count > 1:
            return .malformed(file: file, field: field(2), expected: "{\"id\": integer, \"content\": string}")
        case "normalizer": return .malformed(file: file, field: "normalizer", expected: "null or an object with a type")
        case "pre_tokenizer": return .malformed(file: file, field: "pre_tokenizer", expected: "null or an object")
        case "post_processor" where names.count == 1: return .malformed(file: file, field: "post_processor", expected: "null or an object")
        case "post_processor" where names.last == "single":
            return .malformed(file: file, field: "post_processor.single", expected: "an array")
        case "post_processor": return .malformed(file: file, field: "post_processor.single", expected: "SpecialToken and Sequence items")
        default: return .malformed(file: file, field: field(names.count), expected: expected)
        }
    }
}
