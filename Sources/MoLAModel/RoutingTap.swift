import MoLACheckpoint

/// Routing decisions of one router of one layer (a projection's, or MixLoRA's feed-forward
/// block's) for every token of a forward pass.
public struct RoutingRecord: Sendable {
    public let layer: Int
    public let site: RouterSite
    public let tokens: Int
    public let experts: Int
    public let topK: Int
    /// Softmax probabilities, [tokens, experts].
    public let probabilities: [Float]
    /// Chosen experts per token, best first, [tokens, topK].
    public let chosen: [Int32]
    /// Their renormalised weights, [tokens, topK].
    public let weights: [Float]

    public init(layer: Int, site: RouterSite, tokens: Int, experts: Int, topK: Int, probabilities: [Float],
                chosen: [Int32], weights: [Float]) {
        precondition(probabilities.count == tokens * experts && chosen.count == tokens * topK && weights.count == tokens * topK,
                     "RoutingRecord: sizes do not match \(tokens) tokens")
        self.layer = layer
        self.site = site
        self.tokens = tokens
        self.experts = experts
        self.topK = topK
        self.probabilities = probabilities
        self.chosen = chosen
        self.weights = weights
    }
}

/// Collects `RoutingRecord`s from forward passes. Costs nothing unless set on a model.
public final class RoutingTap {
    /// Records of the last forward pass, layer by layer, sites in order.
    public private(set) var records: [RoutingRecord] = []

    public init() {}

    func reset() { records.removeAll(keepingCapacity: true) }

    /// One record from the same router of every lane, in token order.
    func record(_ parts: [(router: Router, count: Int)]) {
        guard let first = parts.first?.router else { return }
        var probabilities: [Float] = [], chosen: [Int32] = [], weights: [Float] = []
        for (router, count) in parts {
            probabilities += UnsafeBufferPointer(start: router.probabilities.pointer, count: count * router.experts)
            chosen += router.chosen[0..<(count * router.topK)]
            weights += UnsafeBufferPointer(start: router.weights.pointer, count: count * router.topK)
        }
        records.append(RoutingRecord(layer: first.layer, site: first.site, tokens: parts.reduce(0) { $0 + $1.count },
                                     experts: first.experts, topK: first.topK, probabilities: probabilities,
                                     chosen: chosen, weights: weights))
    }
}
