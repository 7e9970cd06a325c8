import MoLACheckpoint

/// The `advise --json` report: an allocation of experts over layers and, per layer, the
/// evidence it came from. Its layout is documented in README.md.
public struct AllocationAdvice: Sendable, Codable {
    /// `alphalora`, `redundancy` or `redundancy+routing`.
    public var method: String
    /// The checkpoint or base the advice was computed from.
    public var source: String
    /// Experts over all layers (per projection type).
    public var total: Int
    /// Experts per layer, layer 0 first.
    public var allocation: [Int]
    /// How weights became whole counts (`ExpertApportionment`).
    public var rounding: ExpertApportionment
    /// AlphaLoRA's exponent on alpha (nil for the redundancy methods).
    public var beta: Double?
    /// AlphaLoRA's x_min window (nil for the redundancy methods).
    public var window: PowerLawWindow?
    public var layers: [Layer]

    public init(method: String, source: String, total: Int, allocation: [Int], rounding: ExpertApportionment,
                beta: Double? = nil, window: PowerLawWindow? = nil, layers: [Layer]) {
        (self.method, self.source, self.total, self.allocation, self.rounding) = (method, source, total, allocation, rounding)
        (self.beta, self.window, self.layers) = (beta, window, layers)
    }

    public struct Layer: Sendable, Codable {
        public var layer: Int
        public var experts: Int
        public var evidence: Evidence

        public init(layer: Int, experts: Int, evidence: Evidence) {
            (self.layer, self.experts, self.evidence) = (layer, experts, evidence)
        }
    }

    /// What one layer's count was derived from; each method fills its own fields.
    public struct Evidence: Sendable, Codable {
        /// The weight experts were shared in proportion to.
        public var weight: Double
        /// AlphaLoRA: the layer's alpha, the mean of its matrices' alphas.
        public var alpha: Double?
        /// AlphaLoRA: each matrix's alpha.
        public var matrixAlphas: ProjectionTable<Double>?
        /// Redundancy: the experts the layer has now.
        public var expertsNow: Int?
        /// Redundancy: mean over the attention projections of the mean pairwise `||dW_i - dW_j||_F`.
        public var meanDistance: Double?
        /// Redundancy: mean over the same projections of the mean `||dW_i||_F`.
        public var meanNorm: Double?
        /// Redundancy: mean over the same projections of (mean distance / mean norm).
        public var relativeDistance: Double?
        /// Routing: mean over the layer's projections of the normalised entropy of the selection shares.
        public var normalisedEntropy: Double?

        public init(weight: Double) { self.weight = weight }

        enum CodingKeys: String, CodingKey {
            case weight, alpha, matrixAlphas = "matrix_alphas", expertsNow = "experts_now", meanDistance = "mean_distance",
                 meanNorm = "mean_norm", relativeDistance = "relative_distance", normalisedEntropy = "normalised_entropy"
        }
    }

    /// The allocation as the paper's digits (`2468`) when it has that form, else nil.
    public var digits: String? { Allocation(expertsPerLayer: allocation).digits.map { $0.map(String.init).joined() } }
    /// The per-layer list `train --allocation` reads: `2,2,4,...`.
    public var list: String { allocation.map(String.init).joined(separator: ",") }
    /// The reference code's `--number_experts` argument (its comma-separated per-layer list).
    public var referenceArgument: String { "--number_experts \(list)" }
}
