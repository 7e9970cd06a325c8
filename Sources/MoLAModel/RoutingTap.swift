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
}

/// Collects `RoutingRecord`s from forward passes. Costs nothing unless set on a model.
public final class RoutingTap {
    /// Records of the last forward pass, layer by layer, projections in order.
    public private(set) var records: [RoutingRecord] = []

    public init() {}

    func reset() { records.removeAll(keepingCapacity: true) }

    func record(_ projection: MoLALinear, count: Int) {
        guard projection.experts > 0 else { return }
        records.append(RoutingRecord(
            layer: projection.layer, projection: projection.kind, tokens: count, experts: projection.experts,
            topK: projection.topK,
            probabilities: Array(UnsafeBufferPointer(start: projection.probabilities.pointer, count: count * projection.experts)),
            chosen: Array(projection.chosen[0..<(count * projection.topK)]),
            weights: Array(UnsafeBufferPointer(start: projection.weights.pointer, count: count * projection.topK))))
    }
}
