import Foundation

/// How real-valued per-layer weights become whole expert counts with a given total.
///
/// ```
/// reference           (AlphaLoRA's exponential_scaling)
///     n_l = round_half_even(w_l / sum w * T)
///     while sum n != T:  sum n < T: n[argmin(w - n)] += 1      sum n > T: n[argmax(w - n)] -= 1
/// largestRemainder    (Hamilton's method, at least one expert a layer)
///     n_l = 1 + floor(q_l),  q_l = w_l / sum w * (T - L);  the T - sum n left go to the largest q_l - floor(q_l)
/// ```
/// The reference's correction loop compares the integers with the raw weights `w` (not with
/// the quotas `w / sum w * T`), so whichever layer it adjusts has little to do with which
/// quota was rounded furthest; and it may leave a layer with no expert, which a MoLA layer
/// cannot have (`AnalysisError.layerWithoutExperts`). Ties go to the lower layer in both.
public enum ExpertApportionment: String, Sendable, Codable, CaseIterable {
    case reference
    case largestRemainder = "largest-remainder"

    /// Expert counts, one per weight, summing to `total`.
    ///
    /// - Parameters:
    ///   - weights: one finite weight, zero or more, per layer.
    ///   - total: the experts to share, at least one per layer.
    /// - Throws: `AnalysisError.totalBelowLayerCount`, `.invalidLayerWeight`, `.layerWithoutExperts`.
    public func apportion(_ weights: [Double], total: Int) throws(AnalysisError) -> [Int] {
        guard total >= weights.count else { throw .totalBelowLayerCount(total: total, layers: weights.count) }
        if let layer = weights.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) {
            throw .invalidLayerWeight(layer: layer, weight: weights[layer])
        }
        // All zero: nothing tells the layers apart, so they weigh the same.
        let weights = weights.allSatisfy { $0 == 0 } ? weights.map { _ in 1 } : weights
        let sum = weights.reduce(0, +)
        switch self {
        case .reference:
            var counts = weights.map { Int(($0 / sum * Double(total)).rounded(.toNearestOrEven)) }
            while counts.reduce(0, +) != total {
                let gaps = zip(weights, counts).map { $0 - Double($1) }
                if counts.reduce(0, +) < total {
                    counts[Self.firstIndex(of: gaps, where: <)] += 1
                } else {
                    counts[Self.firstIndex(of: gaps, where: >)] -= 1
                }
            }
            if let layer = counts.firstIndex(where: { $0 < 1 }) {
                throw .layerWithoutExperts(layer: layer, experts: counts[layer], total: total)
            }
            return counts
        case .largestRemainder:
            let quotas = weights.map { $0 / sum * Double(total - weights.count) }
            var counts = quotas.map { 1 + Int($0.rounded(.down)) }
            let remainders = quotas.map { $0 - $0.rounded(.down) }
            let order = remainders.indices.sorted { remainders[$0] > remainders[$1] || (remainders[$0] == remainders[$1] && $0 < $1) }
            for layer in order.prefix(total - counts.reduce(0, +)) { counts[layer] += 1 }
            return counts
        }
    }

    /// The first index whose value beats every other by `better` (numpy's argmin / argmax).
    private static func firstIndex(of values: [Double], where better: (Double, Double) -> Bool) -> Int {
        var best = 0
        for index in values.indices where better(values[index], values[best]) { best = index }
        return best
    }
}
