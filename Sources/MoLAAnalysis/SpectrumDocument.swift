import MoLACheckpoint

/// The `spectrum --json` report: written by `spectrum`, read back by `plot spectrum` (the same
/// type on both sides). Its layout is documented in README.md.
public struct SpectrumDocument: Sendable, Codable {
    public var checkpoint: String
    public var file: String
    public var allocation: String
    public var expertsPerLayer: [Int]
    public var alpha: Double
    public var projectionSet: String
    public var layers: [Layer]

    enum CodingKeys: String, CodingKey {
        case checkpoint, file, allocation, expertsPerLayer = "experts_per_layer", alpha, projectionSet = "projection_set", layers
    }

    public struct Layer: Sendable, Codable {
        public var layer: Int
        public var projections: ProjectionTable<Projection>
        /// Over every expert of every projection of the layer; null when no expert has one.
        public var meanEffectiveRank: Double?

        enum CodingKeys: String, CodingKey { case layer, projections, meanEffectiveRank = "mean_effective_rank" }
    }

    public struct Projection: Sendable, Codable {
        public var rank: Int
        public var experts: [Expert]
        public var meanEffectiveRank: Double?
        public var meanStableRank: Double?
        public var meanTopShare: Double?

        enum CodingKeys: String, CodingKey {
            case rank, experts, meanEffectiveRank = "mean_effective_rank", meanStableRank = "mean_stable_rank", meanTopShare = "mean_top_share"
        }
    }

    /// One expert; the measures are null for an expert whose `dW_i` is zero.
    public struct Expert: Sendable, Codable {
        public var expert: Int
        public var singularValues: [Double]
        public var effectiveRank: Double?
        public var stableRank: Double?
        public var topShare: Double?

        enum CodingKeys: String, CodingKey {
            case expert, singularValues = "singular_values", effectiveRank = "effective_rank", stableRank = "stable_rank", topShare = "top_share"
        }
    }

    public init(checkpoint: Checkpoint, report: SpectrumReport, projectionSet: String) {
        let adapter = checkpoint.adapter
        self.checkpoint = checkpoint.path
        file = adapter.file.path
        allocation = adapter.allocation.summary
        expertsPerLayer = adapter.allocation.expertsPerLayer
        alpha = adapter.alpha
        self.projectionSet = projectionSet
        layers = report.layers.map { layer in
            Layer(layer: layer.layer, projections: ProjectionTable(layer.projections.map { projection in
                (projection.kind, Projection(rank: projection.rank, experts: projection.experts.map {
                    Expert(expert: $0.expert, singularValues: $0.singularValues, effectiveRank: $0.measures?.effectiveRank,
                           stableRank: $0.measures?.stableRank, topShare: $0.measures?.topShare)
                }, meanEffectiveRank: projection.mean(\.effectiveRank), meanStableRank: projection.mean(\.stableRank),
                meanTopShare: projection.mean(\.topShare)))
            }), meanEffectiveRank: layer.meanEffectiveRank)
        }
    }

    /// The allocation the report was made of.
    public var allocationOfExperts: Allocation { Allocation(expertsPerLayer: expertsPerLayer) }
}
