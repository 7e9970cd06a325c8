import Foundation
import MoLAFiles

/// A Hugging Face `tokenizer_config.json`: the fields this project reads and writes. Other
/// fields (`added_tokens_decoder`, ...) are tolerated and ignored.
public struct TokenizerConfig: Sendable, Equatable, Codable {
    /// `tokenizer_class`; `MoLAByteTokenizer` names this project's byte tokenizer.
    public var tokenizerClass: String?
    public var beginToken: TokenName?
    public var endToken: TokenName?
    public var paddingToken: TokenName?
    /// `chat_template`: a Jinja template, or in older files a list of named ones (the one named
    /// `default` is taken, else the first); a value of another shape is ignored.
    public var chatTemplate: String?
    /// `model_max_length`, when it is an integer (transformers writes 1e30 for "no limit": ignored).
    public var modelMaxLength: Int?

    public static let fileName = "tokenizer_config.json"

    /// The file a base made by this project carries.
    public static let byteTokenizer = TokenizerConfig(tokenizerClass: ByteTokenizer.className)

    enum CodingKeys: String, CodingKey {
        case tokenizerClass = "tokenizer_class", beginToken = "bos_token", endToken = "eos_token", paddingToken = "pad_token"
        case chatTemplate = "chat_template", modelMaxLength = "model_max_length"
    }

    private struct NamedTemplate: Decodable { var name: String?; var template: String }

    public init(tokenizerClass: String? = nil, beginToken: TokenName? = nil, endToken: TokenName? = nil,
                paddingToken: TokenName? = nil, chatTemplate: String? = nil) {
        self.tokenizerClass = tokenizerClass
        self.beginToken = beginToken
        self.endToken = endToken
        self.paddingToken = paddingToken
        self.chatTemplate = chatTemplate
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tokenizerClass = try container.decodeIfPresent(String.self, forKey: .tokenizerClass)
        beginToken = try container.decodeIfPresent(TokenName.self, forKey: .beginToken)
        endToken = try container.decodeIfPresent(TokenName.self, forKey: .endToken)
        paddingToken = try container.decodeIfPresent(TokenName.self, forKey: .paddingToken)
        if let template = try? container.decodeIfPresent(String.self, forKey: .chatTemplate) {
            chatTemplate = template
        } else if let templates = try? container.decodeIfPresent([NamedTemplate].self, forKey: .chatTemplate) {
            chatTemplate = (templates.first { $0.name == "default" } ?? templates.first)?.template
        }
        modelMaxLength = try? container.decodeIfPresent(Int.self, forKey: .modelMaxLength)
    }

    /// The config in the model directory `directory`, or nil when it has none (it is optional).
    ///
    /// - Throws: `JSONDocumentError` for a file that is there but malformed.
    public static func load(directory: String) throws -> TokenizerConfig? {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try JSONDocument.read(TokenizerConfig.self, from: path)
    }

    /// Writes the config into the model directory `directory`, atomically.
    public func write(directory: String) throws {
        try JSONDocument.write(self, to: URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path)
    }

    /// A special token as the file names it: `"</s>"`, or `{"content": "</s>", ...}` (an added token).
    public struct TokenName: Sendable, Equatable, Codable {
        public var content: String

        public init(_ content: String) { self.content = content }

        private enum CodingKeys: String, CodingKey { case content }

        public init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let text = try? single.decode(String.self) {
                content = text
            } else if let container = try? decoder.container(keyedBy: CodingKeys.self) {
                content = try container.decode(String.self, forKey: .content)
            } else {
                // `true`, a number (an id where a name belongs), a list: say what a token is.
                throw JSONExpectation.error("a token: a string, or an object with \"content\"", in: single)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(content)
        }
    }
}
