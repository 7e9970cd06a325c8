import Foundation
import MoLAFiles

/// `adapter_config.json`, PEFT-style, as MoLA's reference code and this project's trainer write it.
///
/// MoLA stores `r` as a per-layer list; plain PEFT stores a number. The file does not record
/// the number of experts per layer nor top-K: those come from the tensors and the sidecar.
/// Fields other than these (PEFT writes many) are tolerated and ignored.
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

    enum CodingKeys: String, CodingKey {
        case peftType = "peft_type", taskType = "task_type", baseModel = "base_model_name_or_path", ranks = "r"
        case alpha = "lora_alpha", dropout = "lora_dropout", targetModules = "target_modules", bias
        case inferenceMode = "inference_mode"
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
