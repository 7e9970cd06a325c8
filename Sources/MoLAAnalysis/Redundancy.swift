import MoLACheckpoint

/// What the redundancy analysis measures between two experts: a distance (`delta`, `a`, `b`)
/// or a similarity (`cosine`, `subspace`, `router`).
public enum RedundancyMetric: String, Sendable, CaseIterable, Codable {
    /// The distance between the experts' weight updates `dW_i = s * B_i A_i` (`d_out x d_in`), never formed.
    case delta
    /// `A_i` alone (`rank x d_in`): mostly initialisation noise, since A starts random.
    case a
    /// `B_i` alone (`d_out x rank`): B starts at zero, so this is what training moved.
    case b
    /// `<dW_i, dW_j> / (|dW_i| |dW_j|)`, from the same Gram matrices as `delta`.
    case cosine
    /// The LoRA paper's normalised subspace similarity of the column (or row) spaces of `dW_i`
    /// and `dW_j`, `|U_i^T U_j|_F^2 / r`, with the principal angles (`SubspaceSimilarity`).
    case subspace
    /// The cosine between the experts' router rows: data-free.
    case router

    /// Whether larger values mean more alike (a similarity), rather than less (a distance).
    public var isSimilarity: Bool { self == .cosine || self == .subspace || self == .router }
}

/// Which space of `dW_i` the `subspace` metric compares.
public enum SubspaceSide: String, Sendable, CaseIterable, Codable {
    /// The column space (`d_out` side, spanned by `B_i`): what the expert writes.
    case column
    /// The row space (`d_in` side, spanned by `A_i^T`): what the expert reads.
    case row
}

/// What to compare and where.
public struct RedundancyOptions: Sendable {
    public var metric: RedundancyMetric
    /// Whether `delta` includes the scale `s = alpha / r` (ignored by `a` and `b`).
    public var scaled: Bool
    /// The projections to analyse; those a layer lacks are skipped.
    public var projections: Set<ProjectionKind>
    /// Worker threads (each runs single-threaded BLAS).
    public var threadCount: Int
    /// The space `subspace` compares (ignored by the other metrics).
    public var side: SubspaceSide
    /// `cosine` and `subspace`: leave out experts whose dW is zero (never trained), their pairs
    /// NaN and the means over the other pairs, instead of refusing them.
    public var allowingUntrained: Bool

    public init(metric: RedundancyMetric = .delta, scaled: Bool = true,
                projections: Set<ProjectionKind> = Set(ProjectionKind.attention), threadCount: Int = 1,
                side: SubspaceSide = .column, allowingUntrained: Bool = false) {
        self.metric = metric
        self.scaled = scaled
        self.projections = projections
        self.threadCount = threadCount
        self.side = side
        self.allowingUntrained = allowingUntrained
    }
}

/// The distance between two experts of one projection.
public struct ExpertPairDistance: Sendable, Equatable {
    public let first: Int
    public let second: Int
    /// `||W_first - W_second||_F`, or the similarity the metric measures; NaN when either
    /// expert holds non-finite values.
    public let distance: Double
}

/// Pairwise distances of the experts of one projection of one layer.
public struct ProjectionRedundancy: Sendable {
    public let layer: Int
    public let kind: ProjectionKind
    public let expertCount: Int
    public let rank: Int
    /// The scale applied to `B A` (`alpha / r`, or 1 when unscaled or for `a` and `b`).
    public let scale: Double
    /// Every unordered pair `i < j`, in the order (0,1), (0,2), ..., (1,2), ...
    public let pairs: [ExpertPairDistance]
    /// `||W_i||_F` of each expert's compared matrix.
    public let norms: [Double]
    /// Tensors of this projection that hold NaN or infinity.
    public let nonFiniteTensors: [String]
    /// `subspace` only: per pair (in `pairs` order), the principal angles in radians, ascending.
    public var principalAngles: [[Double]] = []
    /// `cosine` and `subspace` with `allowingUntrained`: the experts whose dW is zero, left out.
    public var untrainedExperts: [Int] = []

    /// Mean over the pairs of experts not left out as untrained; nil when there are no such
    /// pairs or one of their distances is not finite.
    public var mean: Double? {
        finiteMean(pairs.filter { !untrainedExperts.contains($0.first) && !untrainedExperts.contains($0.second) }.map(\.distance))
    }
}

/// One layer's projections and their means.
public struct LayerRedundancy: Sendable {
    public let layer: Int
    public let projections: [ProjectionRedundancy]

    /// Mean of the attention projections' means (q, k, v, o among those analysed).
    public var attentionMean: Double? { meanOfMeans(projections.filter { $0.kind.isAttention }) }
    /// Mean of the MLP projections' means (gate, up, down among those analysed).
    public var mlpMean: Double? { meanOfMeans(projections.filter { !$0.kind.isAttention }) }
    /// Mean of all analysed projections' means (the Figure 3 value for the chosen set).
    public var mean: Double? { meanOfMeans(projections) }

    private func meanOfMeans(_ selected: [ProjectionRedundancy]) -> Double? {
        let means = selected.map(\.mean)
        guard !means.isEmpty, !means.contains(where: { $0 == nil }) else { return nil }
        return finiteMean(means.map { $0! })
    }
}

/// The redundancy of every layer of an adapter.
public struct RedundancyReport: Sendable {
    public let metric: RedundancyMetric
    public let scaled: Bool
    public let layers: [LayerRedundancy]
    /// The space `subspace` compared (nil for the other metrics).
    public var side: SubspaceSide?

    /// Every tensor that holds NaN or infinity, among those the metric read.
    public var nonFiniteTensors: [String] { layers.flatMap { $0.projections.flatMap(\.nonFiniteTensors) } }
}

/// The mean of `values`, or nil when empty or when any value is not finite (never averaged away).
func finiteMean(_ values: [Double]) -> Double? {
    guard !values.isEmpty, values.allSatisfy(\.isFinite) else { return nil }
    return values.reduce(0, +) / Double(values.count)
}
