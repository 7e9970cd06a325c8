import MoLACheckpoint

/// The MoLA adapters to put on a base: where, how many experts, what rank.
///
/// Experts per layer come from the paper's digits (`Allocation(digits:layerCount:)`, which
/// documents how layers split into contiguous groups) or an explicit list. One expert in a layer
/// means plain LoRA there: no router.
public struct AdapterSpec: Sendable, Equatable {
    /// Adapted projections, in q, k, v, o, gate, up, down order.
    public var projections: [ProjectionKind]
    public var expertsPerLayer: [Int]
    public var ranks: [Int]
    public var alphas: [Double]
    public var topK: [Int]
    /// Dropout on the adapter input while training (the reference uses 0.05).
    public var dropout: Double
    /// Coefficient of the load-balancing loss; nil when it is off.
    public var balanceCoefficient: Double?
    /// Projections that are plain LoRA (one expert, no router) in every layer whatever the layer's
    /// expert count: MoE-PEFT's LoRAMoE and MixLoRA put plain LoRA on attention beside the MLP's mixtures.
    public var plainProjections: Set<ProjectionKind> = []
    /// Where the routers sit: one per adapted projection, or one per feed-forward block whose
    /// experts are whole MLPs (MoE-PEFT's MixLoRA: the experts of gate, up and down in
    /// `projections` are the blocks' LoRA, and have no router of their own).
    public var routerScope: RouterScope = .projection

    /// Experts of one projection of a layer.
    public func experts(layer: Int, _ kind: ProjectionKind) -> Int {
        plainProjections.contains(kind) ? 1 : expertsPerLayer[layer]
    }

    /// The feed-forward experts of `layer` (MixLoRA), nil where its MLP, if adapted, is routed per
    /// projection (or a single expert, which is plain LoRA on gate, up and down either way).
    public func feedForwardExperts(layer: Int) -> Int? {
        routerScope == .feedForwardBlock && expertsPerLayer[layer] > 1 ? expertsPerLayer[layer] : nil
    }

    /// Whether the experts of projection `kind` of `layer` are its layer's feed-forward experts' LoRA.
    public func isFeedForwardExpertProjection(layer: Int, _ kind: ProjectionKind) -> Bool {
        feedForwardExperts(layer: layer) != nil && !kind.isAttention && projections.contains(kind)
    }

    /// Whether projection `kind` of `layer` has a router of its own.
    public func hasProjectionRouter(layer: Int, _ kind: ProjectionKind) -> Bool {
        projections.contains(kind) && experts(layer: layer, kind) > 1 && !isFeedForwardExpertProjection(layer: layer, kind)
    }

    public init(projections: [ProjectionKind] = ProjectionKind.allCases, expertsPerLayer: [Int], rank: Int = 8,
                alpha: Double = 16, topK: Int = 2, dropout: Double = 0, balanceCoefficient: Double? = nil) {
        self.projections = projections.sorted()
        self.expertsPerLayer = expertsPerLayer
        ranks = Array(repeating: rank, count: expertsPerLayer.count)
        alphas = Array(repeating: alpha, count: expertsPerLayer.count)
        self.topK = expertsPerLayer.map { min(topK, $0) }
        self.dropout = dropout
        self.balanceCoefficient = balanceCoefficient
    }

    /// `alpha / r` of a layer.
    public func scale(layer: Int) -> Float { Float(alphas[layer] / Double(ranks[layer])) }

    /// Checks the spec against a base.
    public func validate(for config: ModelConfig) throws {
        func fail(_ reason: String) -> ModelError { .invalidAdapter(reason) }
        guard !projections.isEmpty else { throw fail("no projections to adapt") }
        guard expertsPerLayer.count == config.layerCount else {
            throw fail("\(expertsPerLayer.count) expert counts for a base of \(config.layerCount) layers")
        }
        for layer in 0..<config.layerCount {
            guard expertsPerLayer[layer] >= 1 else { throw fail("layer \(layer) has \(expertsPerLayer[layer]) experts") }
            guard ranks[layer] >= 1 else { throw fail("rank \(ranks[layer]) in layer \(layer); the rank must be at least 1") }
            guard topK[layer] >= 1, topK[layer] <= expertsPerLayer[layer] else {
                throw fail("top-K \(topK[layer]) in layer \(layer), which has \(expertsPerLayer[layer]) experts")
            }
        }
        guard dropout >= 0, dropout < 1 else { throw fail("dropout \(dropout) outside [0, 1)") }
        if routerScope == .feedForwardBlock, let plain = plainProjections.sorted().first(where: { !$0.isAttention }) {
            throw fail("\(plain.checkpointName) is plain LoRA, but the feed-forward experts' LoRA is on gate, up and down alike")
        }
    }
}
