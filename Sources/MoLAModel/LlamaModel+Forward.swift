import MoLACheckpoint
import MoLATensor

/// The losses of one forward pass.
public struct ForwardResult: Sendable {
    /// Cross-entropy (mean over counted targets) plus the weighted balance term.
    public let loss: Double
    public let crossEntropy: Double
    /// The sum over layers of `E_l * sum_i f_i * Pbar_i` (before the coefficient); 0 when off.
    public let balance: Double
}

extension LlamaModel {
    /// Runs the model on `tokens` ([batch, time] row-major, batch and time at most the sizes
    /// the model was built for) and, with `targets` (same layout, negative = ignored), the loss.
    ///
    /// - Parameter training: applies adapter dropout.
    /// - Throws: `ModelError.tokenOutOfRange`.
    @discardableResult
    public func forward(tokens: [Int], targets: [Int]? = nil, batch: Int? = nil, training: Bool = false) throws -> ForwardResult {
        let batch = batch ?? self.batch
        let count = tokens.count
        precondition(batch <= self.batch && count == batch * time, "forward: \(count) tokens for batch \(batch) x time \(time)")
        for (position, token) in tokens.enumerated() where token < 0 || token >= config.vocabularySize {
            throw ModelError.tokenOutOfRange(token: token, position: position, vocabularySize: config.vocabularySize)
        }
        if let targets {
            precondition(targets.count == count, "forward: \(targets.count) targets for \(count) tokens")
            for (position, token) in targets.enumerated() where token >= config.vocabularySize {
                throw ModelError.tokenOutOfRange(token: token, position: position, vocabularySize: config.vocabularySize)
            }
        }
        lastTokens = tokens
        lastTargets = targets ?? []
        lastCount = count
        routingTap?.reset()
        let c = config.hiddenSize
        let epsilon = Float(config.rmsNormEpsilon)
        let shape = AttentionShape(batch: batch, time: time, heads: config.headCount,
                                   keyValueHeads: config.keyValueHeadCount, dimension: config.headDimension)
        Embedding.forward(tokens: tokens, table: base.values("model.embed_tokens.weight"), out: activations[0].input.pointer, channels: c)
        balanceGradients = []
        var balance = 0.0
        for layer in 0..<config.layerCount {
            let a = activations[layer]
            let output = layer + 1 < config.layerCount ? activations[layer + 1].input : final.input
            RMSNorm.forward(a.input.pointer, weight: base.values("model.layers.\(layer).input_layernorm.weight"),
                            out: a.norm1.pointer, rstd: a.rstd1.pointer, count: count, channels: c, epsilon: epsilon)
            run(layer, .query, a.norm1, a.query, count, training)
            run(layer, .key, a.norm1, a.key, count, training)
            run(layer, .value, a.norm1, a.value, count, training)
            rotary.apply(a.query.pointer, batch: batch, time: time, heads: config.headCount, inverse: false)
            rotary.apply(a.key.pointer, batch: batch, time: time, heads: config.keyValueHeadCount, inverse: false)
            withBLASThreads(1) {
                Attention.forward(q: a.query.pointer, k: a.key.pointer, v: a.value.pointer, probabilities: a.probabilities.pointer,
                                  out: a.attention.pointer, shape: shape, threads: threadCount)
            }
            run(layer, .output, a.attention, a.middle, count, training)
            for i in 0..<(count * c) { a.middle.pointer[i] += a.input.pointer[i] }
            RMSNorm.forward(a.middle.pointer, weight: base.values("model.layers.\(layer).post_attention_layernorm.weight"),
                            out: a.norm2.pointer, rstd: a.rstd2.pointer, count: count, channels: c, epsilon: epsilon)
            run(layer, .gate, a.norm2, a.gate, count, training)
            run(layer, .up, a.norm2, a.up, count, training)
            SwiGLU.forward(gate: a.gate.pointer, up: a.up.pointer, out: a.activated.pointer, count: count * config.intermediateSize)
            run(layer, .down, a.activated, output, count, training)
            for i in 0..<(count * c) { output.pointer[i] += a.middle.pointer[i] }
            let (term, gradient) = balanceTerm(layer: layer, count: count)
            balance += term
            balanceGradients.append(gradient)
        }
        RMSNorm.forward(final.input.pointer, weight: base.values("model.norm.weight"), out: final.norm.pointer,
                        rstd: final.rstd.pointer, count: count, channels: c, epsilon: epsilon)
        LinearAlgebra.multiply(final.norm.pointer, base.values(headName), transposeB: true, into: final.logits.pointer,
                               m: count, n: config.vocabularySize, k: c)
        guard let targets else { return ForwardResult(loss: 0, crossEntropy: 0, balance: balance) }
        let crossEntropy = CrossEntropy.forwardBackward(logits: final.logits.pointer, targets: targets,
                                                        vocabulary: config.vocabularySize, dLogits: nil)
        let coefficient = adapterSpec?.balanceCoefficient ?? 0
        return ForwardResult(loss: crossEntropy + coefficient * balance, crossEntropy: crossEntropy, balance: balance)
    }

    /// The logits of the last forward, [tokens, vocabulary].
    public var logits: [Float] { Array(UnsafeBufferPointer(start: final.logits.pointer, count: lastCount * config.vocabularySize)) }

    private func run(_ layer: Int, _ kind: ProjectionKind, _ input: FloatBuffer, _ output: FloatBuffer, _ count: Int, _ training: Bool) {
        let projection = projection(layer, kind)
        projection.forward(input.pointer, count: count, base: base, adapter: adapter, out: output.pointer,
                           training: training, random: &random)
        routingTap?.record(projection, count: count)
    }

    /// The layer's balance term `E * sum_i f_i * Pbar_i`, pooled over its routed projections, and
    /// its gradient with respect to each row's probabilities (`E * f_i / rows`); nil when off.
    private func balanceTerm(layer: Int, count: Int) -> (Double, [Float]?) {
        guard adapterSpec?.balanceCoefficient != nil else { return (0, nil) }
        let routed = projections[layer].filter(\.hasRouter)
        guard let first = routed.first else { return (0, nil) }
        let experts = first.experts, rows = Double(count * routed.count)
        var selections = [Double](repeating: 0, count: experts), probabilities = selections
        for projection in routed {
            for e in 0..<experts {
                selections[e] += Double(projection.selectionCounts[e])
                probabilities[e] += projection.probabilitySums[e]
            }
        }
        let shares = selections.map { $0 / (rows * Double(first.topK)) }
        let term = Double(experts) * zip(shares, probabilities).reduce(0) { $0 + $1.0 * $1.1 / rows }
        let coefficient = adapterSpec!.balanceCoefficient!
        return (term, shares.map { Float(coefficient * Double(experts) * $0 / rows) })
    }

    func withBLASThreads(_ threads: Int, _ body: () -> Void) {
        guard threads != threadCount else { return body() }
        LinearAlgebra.setBLASThreadCount(threads)
        body()
        LinearAlgebra.setBLASThreadCount(threadCount)
    }
}
