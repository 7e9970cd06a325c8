import MoLAFiles

/// A Hugging Face `config.json` of a LLaMA-family model: the fields this project reads and writes.
/// Other fields (transformers writes dozens) are tolerated and ignored.
public struct HuggingFaceConfig: Sendable, Equatable, Codable {
    public var architectures: [String]?
    public var modelType: String?
    public var vocabularySize: Int?
    public var hiddenSize: Int?
    public var intermediateSize: Int?
    public var layerCount: Int?
    public var headCount: Int?
    public var keyValueHeadCount: Int?
    public var ropeTheta: Double?
    /// transformers 5 writes the rotary settings here (`rope_theta`, `rope_type`) instead of
    /// `rope_theta` and `rope_scaling`.
    public var ropeParameters: RopeParameters?
    public var rmsNormEpsilon: Double?
    public var hiddenActivation: String?
    public var tiedEmbeddings: Bool?
    /// Only its absence (or `null`) is accepted: scaled rotary embeddings are not implemented.
    public var ropeScaling: JSONValue?
    public var maxPositionEmbeddings: Int?
    public var torchDType: String?

    enum CodingKeys: String, CodingKey {
        case architectures, modelType = "model_type", vocabularySize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", layerCount = "num_hidden_layers", headCount = "num_attention_heads"
        case keyValueHeadCount = "num_key_value_heads", ropeTheta = "rope_theta", rmsNormEpsilon = "rms_norm_eps"
        case hiddenActivation = "hidden_act", tiedEmbeddings = "tie_word_embeddings", ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings", torchDType = "torch_dtype", ropeParameters = "rope_parameters"
    }

    /// `rope_parameters`: only the default rotary embedding is implemented.
    public struct RopeParameters: Sendable, Equatable, Codable {
        public var ropeTheta: Double?
        public var ropeType: String?

        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type" }
    }

    public init(architectures: [String]? = nil, modelType: String? = nil, vocabularySize: Int? = nil, hiddenSize: Int? = nil,
                intermediateSize: Int? = nil, layerCount: Int? = nil, headCount: Int? = nil, keyValueHeadCount: Int? = nil,
                ropeTheta: Double? = nil, rmsNormEpsilon: Double? = nil, hiddenActivation: String? = nil,
                tiedEmbeddings: Bool? = nil, ropeScaling: JSONValue? = nil, maxPositionEmbeddings: Int? = nil,
                torchDType: String? = nil) {
        self.architectures = architectures
        self.modelType = modelType
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.ropeTheta = ropeTheta
        self.rmsNormEpsilon = rmsNormEpsilon
        self.hiddenActivation = hiddenActivation
        self.tiedEmbeddings = tiedEmbeddings
        self.ropeScaling = ropeScaling
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.torchDType = torchDType
    }

    /// The file that describes `config` (written beside `model.safetensors` by `saveBase`).
    public init(_ config: ModelConfig, maxPositionEmbeddings: Int, dtype: String = "float32") {
        self.init(architectures: ["LlamaForCausalLM"], modelType: "llama", vocabularySize: config.vocabularySize,
                  hiddenSize: config.hiddenSize, intermediateSize: config.intermediateSize, layerCount: config.layerCount,
                  headCount: config.headCount, keyValueHeadCount: config.keyValueHeadCount, ropeTheta: config.ropeTheta,
                  rmsNormEpsilon: config.rmsNormEpsilon, hiddenActivation: "silu", tiedEmbeddings: config.tiedEmbeddings,
                  maxPositionEmbeddings: maxPositionEmbeddings, torchDType: dtype)
    }
}

extension ModelConfig {
    /// Reads a Hugging Face `config.json` of a LLaMA-family model.
    ///
    /// - Throws: `JSONDocumentError` for a field of the wrong type, `ModelError.notLlama` for another
    ///   architecture, `.invalidConfig` for missing or unsupported fields.
    public init(huggingFaceConfig path: String) throws {
        let file = try JSONDocument.read(HuggingFaceConfig.self, from: path)
        let type = file.modelType ?? "unknown"
        guard type == "llama" || (file.architectures ?? []).contains("LlamaForCausalLM") else {
            throw ModelError.notLlama(file: path, found: type)
        }
        func positive(_ value: Int?, _ name: String) throws -> Int {
            guard let value, value > 0 else { throw ModelError.invalidConfig("\(name) is missing or not a positive integer (\(path))") }
            return value
        }
        if let activation = file.hiddenActivation, activation != "silu" {
            throw ModelError.invalidConfig("hidden_act \(activation) is not supported, only silu (\(path))")
        }
        if let scaling = file.ropeScaling, scaling != .null {
            throw ModelError.invalidConfig("rope_scaling is not supported (\(path))")
        }
        if let type = file.ropeParameters?.ropeType, type != "default" {
            throw ModelError.invalidConfig("rope_parameters.rope_type \(type) is not supported, only default (\(path))")
        }
        self.init(vocabularySize: try positive(file.vocabularySize, "vocab_size"), hiddenSize: try positive(file.hiddenSize, "hidden_size"),
                  intermediateSize: try positive(file.intermediateSize, "intermediate_size"),
                  layerCount: try positive(file.layerCount, "num_hidden_layers"),
                  headCount: try positive(file.headCount, "num_attention_heads"), keyValueHeadCount: file.keyValueHeadCount,
                  ropeTheta: file.ropeTheta ?? file.ropeParameters?.ropeTheta ?? 10_000, rmsNormEpsilon: file.rmsNormEpsilon ?? 1e-6,
                  tiedEmbeddings: file.tiedEmbeddings ?? false)
        do {
            try validate()
        } catch let ModelError.invalidConfig(reason) {
            throw ModelError.invalidConfig("\(reason) (\(path))")
        }
        // Whether the weights fit in memory is for the model that holds them all to ask
        // (`LlamaModel.load`); a layer-by-layer pass holds one layer (`LayerwiseModel`).
    }
}
