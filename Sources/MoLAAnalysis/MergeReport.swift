import MoLACheckpoint

/// The `merge --json` report: what was merged in every layer and projection, how far each merged
/// update's rank-r factorisation is from the mean it stands for, and (with a base and data) how
/// the merged adapter's next-token distributions compare with the original's. Layout in README.md.
public struct MergeReport: Sendable, Codable {
    public var source: String
    public var output: String
    /// `allocation` (`--to`) or `threshold` (`--threshold`).
    public var mode: String
    /// The threshold, for mode `threshold`.
    public var threshold: Double?
    /// `routing` (usage from --base/--data) or `equal`.
    public var weighting: String
    public var expertsBefore: [Int]
    public var expertsAfter: [Int]
    public var layers: [Layer]
    /// With --base and --data: the comparison of the two adapters on the data.
    public var evaluation: Evaluation?

    public init(source: String, output: String, mode: String, threshold: Double?, weighting: String, expertsBefore: [Int],
                expertsAfter: [Int], layers: [Layer], evaluation: Evaluation? = nil) {
        (self.source, self.output, self.mode, self.threshold, self.weighting) = (source, output, mode, threshold, weighting)
        (self.expertsBefore, self.expertsAfter, self.layers, self.evaluation) = (expertsBefore, expertsAfter, layers, evaluation)
    }

    enum CodingKeys: String, CodingKey {
        case source, output, mode, threshold, weighting, expertsBefore = "experts_before", expertsAfter = "experts_after", layers, evaluation
    }

    public struct Layer: Sendable, Codable {
        public var layer: Int
        public var expertsBefore: Int
        public var expertsAfter: Int
        public var projections: ProjectionTable<Projection>

        /// The largest relative error of any merged update of the layer (nil when nothing merged).
        public var maximumRelativeError: Double? { projections.entries.flatMap { $0.value.relativeErrors.compactMap { $0 } }.max() }

        enum CodingKeys: String, CodingKey {
            case layer, expertsBefore = "experts_before", expertsAfter = "experts_after", projections
        }
    }

    public struct Projection: Sendable, Codable {
        /// Per new expert, the old experts it stands for.
        public var groups: [[Int]]
        /// Per new expert, `||M_r - M||_F / ||M||_F` of its merged update (null: not merged, kept as it was).
        public var relativeErrors: [Double?]
        /// Each old expert's usage weight.
        public var usage: [Double]

        enum CodingKeys: String, CodingKey { case groups, relativeErrors = "relative_errors", usage }
    }

    /// Next-token distributions of the original and the merged adapter over the same tokens.
    public struct Evaluation: Sendable, Codable {
        public var tokens: Int
        /// Mean over predicted positions of KL(original || merged), nats.
        public var meanKL: Double
        public var perplexityOriginal: Double
        public var perplexityMerged: Double

        public init(tokens: Int, meanKL: Double, perplexityOriginal: Double, perplexityMerged: Double) {
            (self.tokens, self.meanKL, self.perplexityOriginal, self.perplexityMerged) = (tokens, meanKL, perplexityOriginal, perplexityMerged)
        }

        enum CodingKeys: String, CodingKey {
            case tokens, meanKL = "mean_kl", perplexityOriginal = "perplexity_original", perplexityMerged = "perplexity_merged"
        }
    }
}
