import Foundation
import MoLAFiles

/// `adapter_config.json`, PEFT-style, as MoLA's reference code, this project's trainer, PEFT,
/// MoE-PEFT, LoRAMoE and HydraLoRA write it.
///
/// MoLA stores `r` as a per-layer list; plain PEFT stores a number, with `rank_pattern` and
/// `alpha_pattern` for modules that differ. MoLA's file does not record the number of experts per
/// layer nor top-K: those come from the tensors and the sidecar. MoE-PEFT records `peft_type`
/// (`MOLA`, `LORAMOE`, `MIXLORA`), `routing_strategy`, `num_experts` (one for every layer),
/// `top_k` and MixLoRA's `act_fn` and `expert_lora`; LoRAMoE and HydraLoRA record `lora_nums`. Fields other than these are tolerated and
/// ignored; `AdapterFramework.detect` judges the values against the tensors.
public struct AdapterConfig: Sendable, Equatable, Codable {
    /// `peft_type`, normally `LORA`.
    public var peftType: String?
    /// `task_type`, e.g. `CAUSAL_LM`.
    public var taskType: String?
    /// `base_model_name_or_path`.
    public var baseModel: String?
    /// `r`: one rank for every layer, or one per layer.
    public var ranks: LayerValues?
    /// `lora_alpha`.
    public var alpha: Double?
    /// `lora_dropout`.
    public var dropout: Double?
    /// `target_modules`: a list, or one name (PEFT accepts a string).
    public var targetModules: [String]?
    /// `bias`, e.g. `none`.
    public var bias: String?
    /// `inference_mode`.
    public var inferenceMode: Bool?
    /// `routing_strategy` (MoE-PEFT): `mola`, `loramoe`, `mixlora`, `mixlora-dynamic`, `mixlora-switch`.
    public var routingStrategy: String?
    /// `num_experts` (MoE-PEFT): experts of every mixture projection, in every layer.
    public var expertCount: Int?
    /// `top_k` (MoE-PEFT MoLA and MixLoRA).
    public var topK: Int?
    /// `lora_nums` (LoRAMoE: experts; HydraLoRA: B heads).
    public var loraNums: Int?
    /// `use_rslora`: scale `alpha / sqrt(r)` instead of `alpha / r` (PEFT, MoE-PEFT).
    public var useRSLoRA: Bool?
    /// `use_dora` (PEFT, MoE-PEFT): weight-decomposed LoRA, whose magnitudes this project does not read.
    public var useDoRA: Bool?
    /// `rank_pattern` (PEFT): module regex to rank.
    public var rankPattern: [String: Int]?
    /// `alpha_pattern` (PEFT): module regex to alpha.
    public var alphaPattern: [String: Double]?
    /// `expert_lora` (MoE-PEFT MixLoRA): the experts' own `r`, `lora_alpha`, `use_rslora`, `use_dora`.
    public var expertLoRA: ExpertLoRA?
    /// `act_fn` (MoE-PEFT MixLoRA): the activation inside its feed-forward experts, a Hugging Face
    /// `ACT2FN` name (`silu`); absent, the base's `hidden_act`.
    public var activation: String?

    enum CodingKeys: String, CodingKey {
        case peftType = "peft_type", taskType = "task_type", baseModel = "base_model_name_or_path", ranks = "r"
        case alpha = "lora_alpha", dropout = "lora_dropout", targetModules = "target_modules", bias
        case inferenceMode = "inference_mode", routingStrategy = "routing_strategy", expertCount = "num_experts"
        case topK = "top_k", loraNums = "lora_nums", useRSLoRA = "use_rslora", useDoRA = "use_dora"
        case rankPattern = "rank_pattern", alphaPattern = "alpha_pattern", expertLoRA = "expert_lora", activation = "act_fn"
    }

    /// MixLoRA's `expert_lora`: what its experts do not share with the attention LoRA.
    public struct ExpertLoRA: Sendable, Equatable, Codable {
        public var rank: Int?
        public var alpha: Double?
        public var useRSLoRA: Bool?
        public var useDoRA: Bool?

        enum CodingKeys: String, CodingKey {
            case rank = "r", alpha = "lora_alpha", useRSLoRA = "use_rslora", useDoRA = "use_dora"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            rank = try AdapterConfig.positive(Int.self, .rank, in: container)
            alpha = try AdapterConfig.positive(Double.self, .alpha, in: container)
            useRSLoRA = try container.decodeIfPresent(Bool.self, forKey: .useRSLoRA)
            useDoRA = try container.decodeIfPresent(Bool.self, forKey: .useDoRA)
        }
    }

    public init(peftType: String? = nil, taskType: String? = nil, baseModel: String? = nil, ranks: LayerValues? = nil,
                alpha: Double? = nil, dropout: Double? = nil, targetModules: [String]? = nil, bias: String? = nil,
                inferenceMode: Bool? = nil) {
        self.peftType = peftType
        self.taskType = taskType
        self.baseModel = baseModel
        self.ranks = ranks
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.bias = bias
        self.inferenceMode = inferenceMode
    }

    /// Reads `adapter_config.json`.
    ///
    /// - Throws: `JSONDocumentError` naming the file and field.
    public init(path: String) throws {
        self = try JSONDocument.read(AdapterConfig.self, from: path)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        peftType = try container.decodeIfPresent(String.self, forKey: .peftType)
        taskType = try container.decodeIfPresent(String.self, forKey: .taskType)
        baseModel = try container.decodeIfPresent(String.self, forKey: .baseModel)
        ranks = try container.decodeIfPresent(LayerValues.self, forKey: .ranks)
        alpha = try container.decodeIfPresent(Double.self, forKey: .alpha)
        if let alpha, !(alpha > 0 && alpha.isFinite) {
            throw JSONExpectation.error("a positive number", forKey: .alpha, in: container)
        }
        dropout = try container.decodeIfPresent(Double.self, forKey: .dropout)
        if let dropout, !(dropout >= 0 && dropout < 1) {
            throw JSONExpectation.error("a number of at least 0 and less than 1", forKey: .dropout, in: container)
        }
        if let name = try? container.decodeIfPresent(String.self, forKey: .targetModules) {
            targetModules = [name]
        } else {
            targetModules = try container.decodeIfPresent([String].self, forKey: .targetModules)
        }
        bias = try container.decodeIfPresent(String.self, forKey: .bias)
        inferenceMode = try container.decodeIfPresent(Bool.self, forKey: .inferenceMode)
        routingStrategy = try container.decodeIfPresent(String.self, forKey: .routingStrategy)
        expertCount = try Self.positive(Int.self, .expertCount, in: container)
        topK = try Self.positive(Int.self, .topK, in: container)
        loraNums = try Self.positive(Int.self, .loraNums, in: container)
        useRSLoRA = try container.decodeIfPresent(Bool.self, forKey: .useRSLoRA)
        useDoRA = try container.decodeIfPresent(Bool.self, forKey: .useDoRA)
        rankPattern = try container.decodeIfPresent([String: Int].self, forKey: .rankPattern)
        if let ranks = rankPattern, !ranks.values.allSatisfy({ $0 > 0 }) {
            throw JSONExpectation.error("an object of positive integers", forKey: .rankPattern, in: container)
        }
        alphaPattern = try container.decodeIfPresent([String: Double].self, forKey: .alphaPattern)
        if let alphas = alphaPattern, !alphas.values.allSatisfy({ $0 > 0 && $0.isFinite }) {
            throw JSONExpectation.error("an object of positive numbers", forKey: .alphaPattern, in: container)
        }
        expertLoRA = try container.decodeIfPresent(ExpertLoRA.self, forKey: .expertLoRA)
        activation = try container.decodeIfPresent(String.self, forKey: .activation)
    }

    /// Written in the order of `CodingKeys`, pattern keys sorted, absent fields left out: the same
    /// config always renders the same bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(peftType, forKey: .peftType)
        try container.encodeIfPresent(taskType, forKey: .taskType)
        try container.encodeIfPresent(baseModel, forKey: .baseModel)
        try container.encodeIfPresent(ranks, forKey: .ranks)
        try container.encodeIfPresent(alpha, forKey: .alpha)
        try container.encodeIfPresent(dropout, forKey: .dropout)
        try container.encodeIfPresent(targetModules, forKey: .targetModules)
        try container.encodeIfPresent(bias, forKey: .bias)
        try container.encodeIfPresent(inferenceMode, forKey: .inferenceMode)
        try container.encodeIfPresent(routingStrategy, forKey: .routingStrategy)
        try container.encodeIfPresent(expertCount, forKey: .expertCount)
        try container.encodeIfPresent(topK, forKey: .topK)
        try container.encodeIfPresent(loraNums, forKey: .loraNums)
        try container.encodeIfPresent(useRSLoRA, forKey: .useRSLoRA)
        try container.encodeIfPresent(useDoRA, forKey: .useDoRA)
        try container.encodeIfPresent(rankPattern.map(SortedObject.init), forKey: .rankPattern)
        try container.encodeIfPresent(alphaPattern.map(SortedObject.init), forKey: .alphaPattern)
        try container.encodeIfPresent(expertLoRA, forKey: .expertLoRA)
        try container.encodeIfPresent(activation, forKey: .activation)
    }

    /// A field that must be a positive number when present (JSON null counts as absent).
    static func positive<Value: Decodable & Comparable & Numeric, Key: CodingKey>(
        _ type: Value.Type, _ key: Key, in container: KeyedDecodingContainer<Key>) throws -> Value? {
        guard let value = try container.decodeIfPresent(Value.self, forKey: key) else { return nil }
        if value > 0, (value as? Double)?.isFinite ?? true { return value }
        throw JSONExpectation.error("a positive number", forKey: key, in: container)
    }

    /// One positive value for every layer, or one per layer (ranks here, top-K in the sidecar):
    /// a JSON number or a list of them.
    public enum LayerValues: Sendable, Equatable, Codable {
        case uniform(Int)
        case perLayer([Int])

        /// The value given for `layer`, if one is given.
        public func value(ofLayer layer: Int) -> Int? {
            switch self {
            case let .uniform(value): value
            case let .perLayer(values): layer < values.count ? values[layer] : nil
            }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let single = try? container.decode(Int.self), single > 0 {
                self = .uniform(single)
            } else if let list = try? container.decode([Int].self), !list.isEmpty, list.allSatisfy({ $0 > 0 }) {
                self = .perLayer(list)
            } else {
                throw JSONExpectation.error("a positive integer or a list of them", in: container)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .uniform(value): try container.encode(value)
            case let .perLayer(values): try container.encode(values)
            }
        }
    }
}

/// A JSON object written with its keys in sorted order.
private struct SortedObject<Value: Encodable>: Encodable {
    let entries: [String: Value]

    init(_ entries: [String: Value]) { self.entries = entries }

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for key in entries.keys.sorted() { try container.encode(entries[key]!, forKey: Key(stringValue: key)) }
    }
}
