import Foundation

/// Two models' next-token distributions over the same tokens: how far the second strays from
/// the first, and each one's perplexity.
///
/// ```
/// p_t = softmax(z_t of the first model), q_t = softmax(z_t of the second)     [V], in Double
/// KL_t = sum_v p_t[v] (log p_t[v] - log q_t[v])
/// mean KL = mean over predicted positions t (every position with a next token)
/// perplexity = exp(- mean_t log p_t[x_{t+1}])
/// ```
public struct NextTokenComparison: Sendable {
    /// Predicted positions counted.
    public let tokens: Int
    public let meanKL: Double
    public let perplexityFirst: Double
    public let perplexitySecond: Double

    /// Runs both models (batch 1, the same length) over `sequences`, each cut into windows of the
    /// models' length.
    ///
    /// - Throws: the models' errors (a token outside the vocabulary).
    public init(first: LlamaModel, second: LlamaModel, sequences: [[Int]], maxTokens: Int? = nil) throws {
        precondition(first.time == second.time && first.batch == 1 && second.batch == 1, "NextTokenComparison: batch 1, equal lengths")
        let vocabulary = first.config.vocabularySize, length = first.time
        var count = 0, kl = 0.0, logFirst = 0.0, logSecond = 0.0
        windows: for sequence in sequences {
            for start in stride(from: 0, to: max(sequence.count - 1, 0), by: length) {
                let window = Array(sequence[start..<min(start + length, sequence.count)])
                guard window.count > 1 else { continue }
                let padded = window + Array(repeating: window[0], count: length - window.count)
                try first.forward(tokens: padded, logits: true)
                let firstLogits = first.logits
                try second.forward(tokens: padded, logits: true)
                let secondLogits = second.logits
                for position in 0..<(window.count - 1) {
                    let row = position * vocabulary
                    let p = Self.logSoftmax(firstLogits[row..<(row + vocabulary)])
                    let q = Self.logSoftmax(secondLogits[row..<(row + vocabulary)])
                    var divergence = 0.0
                    for v in 0..<vocabulary { divergence += exp(p[v]) * (p[v] - q[v]) }
                    kl += divergence
                    let next = window[position + 1]
                    logFirst += p[next]
                    logSecond += q[next]
                    count += 1
                    if let maxTokens, count >= maxTokens { break windows }
                }
            }
        }
        tokens = count
        meanKL = count > 0 ? kl / Double(count) : 0
        perplexityFirst = count > 0 ? exp(-logFirst / Double(count)) : .nan
        perplexitySecond = count > 0 ? exp(-logSecond / Double(count)) : .nan
    }

    static func logSoftmax(_ row: ArraySlice<Float>) -> [Double] {
        let maximum = Double(row.max() ?? 0)
        var sum = 0.0
        for value in row { sum += exp(Double(value) - maximum) }
        let normaliser = maximum + log(sum)
        return row.map { Double($0) - normaliser }
    }
}
