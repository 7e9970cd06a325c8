import MoLACheckpoint
import MoLAFiles

/// The `redundancy --json` report: written by `redundancy`, read back by the plot commands
/// (the same type on both sides). Its layout is documented in README.md.
public struct RedundancyDocument: Sendable, Codable {
    /// The checkpoint as given, the tensor file read, and its format (`safetensors`, `torch.save`).
    public var checkpoint: String
    public var file: String
    public var format: String
    /// E.g. `2468 (MoLA-▽, inverted triangle)`; for people, `expertsPerLayer` for programs.
    public var allocation: String
    public var expertsPerLayer: [Int]
    public var alpha: Double
    public var metric: RedundancyMetric
    /// Whether `delta` includes `s = alpha / r` (always false for the other metrics).
    public var scaled: Bool
    /// `subspace` only: `column` or `row`, the spaces compared (absent for the other metrics).
    public var side: SubspaceSide?
    /// The projection set's name (`attention`, `mlp`, `all`, or the list given).
    public var projectionSet: String
    public var nonFiniteTensors: [String]
    public var layers: [Layer]

    enum CodingKeys: String, CodingKey {
        case checkpoint, file, format, allocation, expertsPerLayer = "experts_per_layer", alpha, metric, scaled, side
        case projectionSet = "projection_set", nonFiniteTensors = "non_finite_tensors", layers
    }

    public struct Layer: Sendable, Codable {
        public var layer: Int
        public var projections: ProjectionTable<Projection>
        public var attentionMean: Double?
        public var mlpMean: Double?
        public var mean: Double?

        enum CodingKeys: String, CodingKey {
            case layer, projections, attentionMean = "attention_mean", mlpMean = "mlp_mean", mean
        }
    }

    public struct Projection: Sendable, Codable {
        public var experts: Int
        public var rank: Int
        public var scale: Double
        /// Every pair `i < j` in order; a non-finite distance is NaN here and `null` in the file.
        public var pairs: [Pair]
        /// Mean over pairs (those of experts not in `untrainedExperts`); nil without pairs or with
        /// a non-finite distance among them.
        public var mean: Double?
        /// `||W_i||_F` of each expert's compared matrix (NaN, `null` in the file, when not finite);
        /// for `router`, the router rows' norms.
        public var norms: [Double]
        /// `subspace` only: per pair, in `pairs` order, the principal angles in degrees, ascending.
        public var principalAngles: [[Double]]?
        /// `cosine` and `subspace` with `--allow-untrained`: the experts whose dW is zero, their
        /// pairs null and left out of the mean (absent when none).
        public var untrainedExperts: [Int]?

        enum CodingKeys: String, CodingKey {
            case experts, rank, scale, pairs, mean, norms, principalAngles = "principal_angles_degrees"
            case untrainedExperts = "untrained_experts"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let experts = try container.decode(Int.self, forKey: .experts)
            guard experts >= 1 else { throw JSONExpectation.error("a positive number of experts", forKey: .experts, in: container) }
            self.experts = experts
            rank = try container.decode(Int.self, forKey: .rank)
            scale = try container.decode(Double.self, forKey: .scale)
            let pairs = try container.decode([Pair].self, forKey: .pairs)
            self.pairs = pairs
            // Every pair i < j, in order: the count of experts is then bounded by the file's own
            // size, so a plot never sizes an experts x experts grid from a bare number.
            if !Self.isEveryPairInOrder(pairs, experts: experts) {
                throw JSONExpectation.error("every pair [i, j, distance] of the \(experts) experts, i < j, in order", forKey: .pairs, in: container)
            }
            mean = try container.decodeIfPresent(Double.self, forKey: .mean)
            norms = try container.decode([Double?].self, forKey: .norms).map { $0 ?? .nan }
            guard norms.count == experts else {
                throw JSONExpectation.error("one norm per expert (\(experts))", forKey: .norms, in: container)
            }
            principalAngles = try container.decodeIfPresent([[Double]].self, forKey: .principalAngles)
            if let principalAngles, principalAngles.count != pairs.count {
                throw JSONExpectation.error("one list of angles per pair (\(pairs.count))", forKey: .principalAngles, in: container)
            }
            untrainedExperts = try container.decodeIfPresent([Int].self, forKey: .untrainedExperts)
            if let untrainedExperts, !untrainedExperts.allSatisfy({ (0..<experts).contains($0) }) {
                throw JSONExpectation.error("expert indices below \(experts)", forKey: .untrainedExperts, in: container)
            }
        }

        /// Whether `pairs` is `(0,1), (0,2), ..., (E-2, E-1)`.
        private static func isEveryPairInOrder(_ pairs: [Pair], experts: Int) -> Bool {
            // E experts have at least E - 1 pairs, so E is small enough to square before it is.
            guard experts <= pairs.count + 1, pairs.count == experts * (experts - 1) / 2 else { return false }
            var index = 0
            for first in 0..<experts {
                for second in (first + 1)..<max(experts, first + 1) {
                    guard pairs[index].first == first, pairs[index].second == second else { return false }
                    index += 1
                }
            }
            return true
        }

        init(_ projection: ProjectionRedundancy) {
            experts = projection.expertCount
            rank = projection.rank
            scale = projection.scale
            pairs = projection.pairs.map { Pair(first: $0.first, second: $0.second, distance: $0.distance) }
            mean = projection.mean
            norms = projection.norms
            principalAngles = projection.principalAngles.isEmpty ? nil
                : projection.principalAngles.map { $0.map { $0 * 180 / Double.pi } }
            untrainedExperts = projection.untrainedExperts.isEmpty ? nil : projection.untrainedExperts
        }
    }

    /// `[i, j, distance]` in the file.
    public struct Pair: Sendable, Codable {
        public var first: Int
        public var second: Int
        public var distance: Double

        init(first: Int, second: Int, distance: Double) {
            self.first = first
            self.second = second
            self.distance = distance
        }

        public init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            first = try container.decode(Int.self)
            second = try container.decode(Int.self)
            distance = try container.decodeNil() ? .nan : container.decode(Double.self)
            guard container.isAtEnd, first >= 0, second > first else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "expected: [i, j, distance] with 0 <= i < j"))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(first)
            try container.encode(second)
            if distance.isFinite { try container.encode(distance) } else { try container.encodeNil() }
        }
    }

    /// The report of `checkpoint`'s analysis over the projections named `projectionSet`.
    public init(checkpoint: Checkpoint, report: RedundancyReport, projectionSet: String) {
        let adapter = checkpoint.adapter
        self.checkpoint = checkpoint.path
        file = adapter.file.path
        format = adapter.file.formatName
        allocation = adapter.allocation.summary
        expertsPerLayer = adapter.allocation.expertsPerLayer
        alpha = adapter.alpha
        metric = report.metric
        scaled = report.metric == .delta && report.scaled
        side = report.side
        self.projectionSet = projectionSet
        nonFiniteTensors = report.nonFiniteTensors
        layers = report.layers.map { layer in
            Layer(layer: layer.layer, projections: ProjectionTable(layer.projections.map { ($0.kind, Projection($0)) }),
                  attentionMean: layer.attentionMean, mlpMean: layer.mlpMean, mean: layer.mean)
        }
    }

    /// The allocation the report was made of.
    public var allocationOfExperts: Allocation { Allocation(expertsPerLayer: expertsPerLayer) }

    /// The projections that some layer has, among `set`.
    public func kinds(in set: Set<ProjectionKind>) -> [ProjectionKind] {
        Array(Set(layers.flatMap(\.projections.kinds)).intersection(set)).sorted()
    }
}
