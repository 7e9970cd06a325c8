import Dispatch
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
    /// - Parameters:
    ///   - top: how many of the most likely tokens to list at each position (0: none).
    ///   - threads: workers sharing the positions' log-normalisers and top tokens.
    /// - Throws: `ModelError.tokenOutOfRange`, `.invalidConfig` for a sequence longer than the model's length.
    public static func score(_ tokens: [Int], model: any LogitsPass, top: Int, threads: Int = 1) throws -> SequenceScore {
        guard let first = tokens.first else { return SequenceScore(logProbabilities: [], alternatives: [], next: []) }
        guard tokens.count <= model.time else {
            throw ModelError.invalidConfig("\(tokens.count) tokens do not fit the model's \(model.time) positions")
        }
        let window = tokens + Array(repeating: first, count: model.time - tokens.count)
        let vocabulary = model.config.vocabularySize, count = tokens.count
        // Position t's normaliser and top tokens, each written by one worker.
        var normalisers = [Double](repeating: 0, count: count)
        var best = [[TokenCandidate]](repeating: [], count: count)
        return try model.withLogits(tokens: window) { all in
            normalisers.withUnsafeMutableBufferPointer { normalisers in
                best.withUnsafeMutableBufferPointer { best in
                    let shared = UncheckedSendable(value: (all, normalisers, best))
                    let workers = max(1, min(threads, count))
                    DispatchQueue.concurrentPerform(iterations: workers) { worker in
                        let (all, normalisers, best) = shared.value
                        for position in stride(from: worker, to: count, by: workers) {
                            let row = UnsafeBufferPointer(rebasing: all[(position * vocabulary)..<((position + 1) * vocabulary)])
                            normalisers[position] = VectorMath.logSumExp(row.baseAddress!, count: vocabulary)
                            best[position] = mostLikely(row, count: top, normaliser: normalisers[position])
                        }
                    }
                }
            }
            var logProbabilities: [Double?] = [nil]
            for position in 0..<(count - 1) {
                logProbabilities.append(Double(all[position * vocabulary + tokens[position + 1]]) - normalisers[position])
            }
            return SequenceScore(logProbabilities: logProbabilities, alternatives: [nil] + best.dropLast().map(Optional.some),
                                 next: best[count - 1])
        }
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
