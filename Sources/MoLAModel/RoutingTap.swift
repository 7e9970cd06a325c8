import MoLACheckpoint

/// Routing decisions of one projection of one layer for every token of a forward pass.
public struct RoutingRecord: Sendable {
    public let layer: Int
    public let projection: ProjectionKind
    public let tokens: Int
    public let experts: Int
    public let topK: Int
    /// Softmax probabilities, [tokens, experts].
    public let probabilities: [Float]
    /// Chosen experts per token, best first, [tokens, topK].
    public let chosen: [Int32]
    /// Their renormalised weights, [tokens, topK].
    public let weights: [Float]

    public init(layer: Int, projection: ProjectionKind, tokens: Int, experts: Int, topK: Int, probabilities: [Float],
                chosen: [Int32], weights: [Float]) {
        precondition(probabilities.count == tokens * experts && chosen.count == tokens * topK && weights.count == tokens * topK,
                     "RoutingRecord: sizes do not match \(tokens) tokens")
        self.layer = layer
        self.projection = projection
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
    /// Records of the last forward pass, layer by layer, projections in order.
    public private(set) var records: [RoutingRecord] = []

    public init() {}

    func reset() { records.removeAll(keepingCapacity: true) }

    /// One record from the same projection of every lane, in token order.
    func record(_ parts: [(projection: MoLALinear, count: Int)]) {
        guard let first = parts.first?.projection, first.experts > 0 else { return }
        var probabilities: [Float] = [], chosen: [Int32] = [], weights: [Float] = []
        for (projection, count) in parts {
            probabilities += UnsafeBufferPointer(start: projection.probabilities.pointer, count: count * projection.experts)
            chosen += projection.chosen[0..<(count * projection.topK)]
            weights += UnsafeBufferPointer(start: projection.weights.pointer, count: count * projection.topK)
        }
        records.append(RoutingRecord(layer: first.layer, projection: first.kind, tokens: parts.reduce(0) { $0 + $1.count },
                                     experts: first.experts, topK: first.topK, probabilities: probabilities,
                                     chosen: chosen, weights: weights))
    }
}
