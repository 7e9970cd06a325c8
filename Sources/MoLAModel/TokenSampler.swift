import Foundation
import MoLATensor

/// How the next token is chosen from a position's logits: the most likely one (greedy), or a
/// draw from the softmax at a temperature, restricted to the nucleus of probability `topP`
/// ([Holtzman et al. 2020](https://arxiv.org/abs/1904.09751)).
///
/// ```
/// greedy:   argmax_v z_v                          (the lower id among equals)
/// sampled:  p_v = softmax(z / temperature)_v
///           N = the fewest most likely tokens whose p sums to at least topP
///           draw v from p restricted to N, renormalised
/// ```
public struct TokenSampler: Sendable {
    public let temperature: Double
    public let topP: Double
    private var generator: SplitMix

    /// - Parameters:
    ///   - temperature: 0 for greedy; above 0 to sample.
    ///   - topP: in (0, 1]; 1 keeps every token.
    ///   - seed: the draws' seed (a run with the same seed repeats).
    public init(temperature: Double = 0, topP: Double = 1, seed: UInt64 = 0) {
        precondition(temperature >= 0 && topP > 0 && topP <= 1, "TokenSampler: temperature \(temperature), top-p \(topP)")
        self.temperature = temperature
        self.topP = topP
        generator = SplitMix(seed: seed)
    }

    /// The next token from `logits`.
    public mutating func next(_ logits: UnsafeBufferPointer<Float>) -> Int {
        guard temperature > 0 else { return Self.greedy(logits) }
        let maximum = Double(logits.max() ?? 0)
        var weights = logits.enumerated().map { (id: $0.offset, weight: exp((Double($0.element) - maximum) / temperature)) }
        weights.sort { $0.weight > $1.weight || ($0.weight == $1.weight && $0.id < $1.id) }
        let total = weights.reduce(0) { $0 + $1.weight }
        var kept = 0, cumulative = 0.0
        while kept < weights.count {
            cumulative += weights[kept].weight
            kept += 1
            if cumulative >= topP * total { break }
        }
        var target = Double(generator.next() >> 11) * 0x1p-53 * cumulative
        for candidate in weights.prefix(kept) {
            target -= candidate.weight
            if target < 0 { return candidate.id }
        }
        return weights[kept - 1].id
    }

    /// The index of the largest logit, the lower one among equals.
    public static func greedy(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for index in logits.indices where logits[index] > logits[best] { best = index }
        return best
    }
}
