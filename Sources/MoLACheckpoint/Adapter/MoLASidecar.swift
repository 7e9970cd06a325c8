import Foundation
import MoLAFiles

/// What this project records beside an adapter that the reference files do not:
/// `mola_config.json`, written by `mola-inspect train`, read back by every command, shown by `info`.
///
/// ```json
/// {"experts_per_layer": [2, 2, 4, 4], "top_k": [2, 2, 2, 2], "lora_alpha_per_layer": [16, 16, 16, 16],
///  "balance_coefficient": 0.001,
///  "training": {"steps": 150, "step": 150, "learning_rate": 0.003, "batch": 16, "micro_batch": 8, "cutoff": 384, "seed": 42}}
/// ```
/// `top_k` may also be a single number; every field is optional.
public struct MoLASidecar: Sendable, Equatable, Codable {
    public var expertsPerLayer: [Int]?
    /// Top-K: one value for every layer, or one per layer.
    public var topK: AdapterConfig.LayerValues?
    /// `lora_alpha` of each layer (the config's `lora_alpha` holds one number).
    public var alphaPerLayer: [Double]?
    /// The load-balancing coefficient the adapter was trained with, when it was.
    public var balanceCoefficient: Double?
    /// How the adapter was trained.
    public var training: Training?

    /// The run that wrote the adapter.
    public struct Training: Sendable, Equatable, Codable {
        /// Steps the run was to take, and the step it had reached when this checkpoint was saved.
        public var steps: Int
        public var step: Int
        /// The peak learning rate.
        public var learningRate: Double
        /// Sequences per optimizer step, and per forward pass.
        public var batch: Int
        public var microBatch: Int
        /// Tokens per sequence.
        public var cutoff: Int
        public var seed: UInt64

        enum CodingKeys: String, CodingKey {
            case steps, step, learningRate = "learning_rate", batch, microBatch = "micro_batch", cutoff, seed
        }

        public init(steps: Int, step: Int, learningRate: Double, batch: Int, microBatch: Int, cutoff: Int, seed: UInt64) {
            self.steps = steps
            self.step = step
            self.learningRate = learningRate
            self.batch = batch
            self.microBatch = microBatch
            self.cutoff = cutoff
            self.seed = seed
        }
    }

    enum CodingKeys: String, CodingKey {
        case expertsPerLayer = "experts_per_layer", topK = "top_k", alphaPerLayer = "lora_alpha_per_layer"
        case balanceCoefficient = "balance_coefficient", training
    }

    public init(expertsPerLayer: [Int]? = nil, topK: AdapterConfig.LayerValues? = nil, alphaPerLayer: [Double]? = nil,
                balanceCoefficient: Double? = nil, training: Training? = nil) {
        self.expertsPerLayer = expertsPerLayer
        self.topK = topK
        self.alphaPerLayer = alphaPerLayer
        self.balanceCoefficient = balanceCoefficient
        self.training = training
    }

    /// Reads a sidecar file.
    ///
    /// - Throws: `JSONDocumentError` naming the file and field.
    public init(path: String) throws {
        self = try JSONDocument.read(MoLASidecar.self, from: path)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        expertsPerLayer = try container.decodeIfPresent([Int].self, forKey: .expertsPerLayer)
        if let counts = expertsPerLayer, !counts.allSatisfy({ $0 > 0 }) {
            throw JSONExpectation.error("a list of positive integers", forKey: .expertsPerLayer, in: container)
        }
        topK = try container.decodeIfPresent(AdapterConfig.LayerValues.self, forKey: .topK)
        alphaPerLayer = try container.decodeIfPresent([Double].self, forKey: .alphaPerLayer)
        if let alphas = alphaPerLayer, !alphas.allSatisfy({ $0 > 0 && $0.isFinite }) {
            throw JSONExpectation.error("a list of positive numbers", forKey: .alphaPerLayer, in: container)
        }
        balanceCoefficient = try container.decodeIfPresent(Double.self, forKey: .balanceCoefficient)
        training = try container.decodeIfPresent(Training.self, forKey: .training)
    }
}
