import Foundation
import MoLATensor

/// A token and its log-probability under the model.
public struct TokenCandidate: Sendable, Equatable {
    public let id: Int
    public let logProbability: Double
}

/// How likely the model finds a sequence of tokens, position by position.
public struct SequenceScore: Sendable {
    /// Each token's log-probability given the tokens before it: nil for the first token, which
    /// nothing predicts.
    public let logProbabilities: [Double?]
    /// Per token, the `top` most likely tokens at its position (the distribution its own
    /// log-probability comes from); nil for the first token, empty when `top` was 0.
    public let alternatives: [[TokenCandidate]?]
    /// The `top` most likely tokens after the last one.
    public let next: [TokenCandidate]

    /// The sum of the log-probabilities of every predicted token.
    public var logLikelihood: Double { logProbabilities.reduce(0) { $0 + ($1 ?? 0) } }
    /// How many tokens were predicted (all but the first).
    public var predictedCount: Int { max(logProbabilities.count - 1, 0) }
    /// `exp(-logLikelihood / predicted)`; nil when nothing was predicted.
    public var perplexity: Double? { predictedCount > 0 ? exp(-logLikelihood / Double(predictedCount)) : nil }
}

/// Scores token sequences with one forward pass each: the log-softmax of every position's
/// logits, in Double.
///
/// ```
/// logits z_t = model(x_1..x_t)        [V]
/// log p(x_{t+1} | x_1..x_t) = z_t[x_{t+1}] - log sum_v exp(z_t[v])
/// ```
public enum TokenScorer {
    /// Scores `tokens` on `model` (batch 1, its length at least the token count; the rest of the
    /// window is padded with `tokens[0]`, which causal attention keeps from the scored positions).
    ///
    /// - Parameter top: how many of the most likely tokens to list at each position (0: none).
    /// - Throws: `ModelError.tokenOutOfRange`, `.invalidConfig` for a sequence longer than the model's length.
    public static func score(_ tokens: [Int], model: any LogitsPass, top: Int) throws -> SequenceScore {
        guard let first = tokens.first else { return SequenceScore(logProbabilities: [], alternatives: [], next: []) }
        guard tokens.count <= model.time else {
            throw ModelError.invalidConfig("\(tokens.count) tokens do not fit the model's \(model.time) positions")
        }
        let window = tokens + Array(repeating: first, count: model.time - tokens.count)
        let vocabulary = model.config.vocabularySize
        var logProbabilities: [Double?] = [nil]
        var alternatives: [[TokenCandidate]?] = [nil]
        var next: [TokenCandidate] = []
        try model.withLogits(tokens: window) { all in
            for position in 0..<tokens.count {
                let row = UnsafeBufferPointer(rebasing: all[(position * vocabulary)..<((position + 1) * vocabulary)])
                let normaliser = VectorMath.logSumExp(row.baseAddress!, count: vocabulary)
                let best = mostLikely(row, count: top, normaliser: normaliser)
                if position + 1 < tokens.count {
                    logProbabilities.append(Double(row[tokens[position + 1]]) - normaliser)
                    alternatives.append(best)
                } else {
                    next = best
                }
            }
        }
        return SequenceScore(logProbabilities: logProbabilities, alternatives: alternatives, next: next)
    }

    /// The `count` largest entries of `row` as log-probabilities, most likely first (the lower id
    /// first among equals).
    static func mostLikely(_ row: UnsafeBufferPointer<Float>, count: Int, normaliser: Double) -> [TokenCandidate] {
        guard count > 0 else { return [] }
        // A sorted list of the best so far: each value is compared with the worst kept first.
        var best: [(value: Float, id: Int)] = []
        best.reserveCapacity(count + 1)
        for (id, value) in row.enumerated() {
            if best.count == count, let worst = best.last, value <= worst.value { continue }
            let place = best.firstIndex { value > $0.value } ?? best.count
            best.insert((value, id), at: place)
            if best.count > count { best.removeLast() }
        }
        return best.map { TokenCandidate(id: $0.id, logProbability: Double($0.value) - normaliser) }
    }
}
