import MoLACheckpoint
import MoLATensor

/// One worker's share of a batch: whole sequences, with their own activations, caches and
/// gradient buffers, so workers never synchronise inside a step. Weights are shared.
final class Lane {
    let config: ModelConfig
    let time: Int
    /// Sequences this lane can hold.
    let capacity: Int
    let base: ParameterSet
    let adapter: ParameterSet
    let projections: [[MoLALinear]]
    let activations: [LayerActivations]
    let final: FinalActivations
    let rotary: RotaryTable
    let scratch = Scratch()
    var random: SplitMix
    var tokens: [Int] = []
    var targets: [Int] = []
    var count: Int { tokens.count }
    /// Per layer, dLoss/dP of the balance term (one value per expert), set by the model.
    var balanceGradients: [[Float]?] = []

    init(config: ModelConfig, spec: AdapterSpec?, capacity: Int, time: Int, base: ParameterSet, adapter: ParameterSet,
         rotary: RotaryTable, seed: UInt64) {
        self.config = config
        self.time = time
        self.capacity = capacity
        self.base = base
        self.adapter = adapter
        self.rotary = rotary
        random = SplitMix(seed: seed)
        let tokens = capacity * time
        projections = (0..<config.layerCount).map { layer in
            ProjectionKind.allCases.map { kind in
                let (input, output) = config.widths(kind)
                guard let spec, spec.projections.contains(kind) else {
                    return MoLALinear(layer: layer, kind: kind, inputWidth: input, outputWidth: output, experts: 0, rank: 0,
                                      topK: 0, scale: 0, dropout: 0, capacity: 0)
                }
                return MoLALinear(layer: layer, kind: kind, inputWidth: input, outputWidth: output,
                                  experts: spec.expertsPerLayer[layer], rank: spec.ranks[layer], topK: spec.topK[layer],
                                  scale: spec.scale(layer: layer), dropout: Float(spec.dropout), capacity: tokens)
            }
        }
        activations = (0..<config.layerCount).map { _ in LayerActivations(config: config, batch: capacity, time: time) }
        final = FinalActivations(config: config, count: tokens)
    }

    func projection(_ layer: Int, _ kind: ProjectionKind) -> MoLALinear { projections[layer][kind.rawValue] }
    var headName: String { config.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight" }

    /// Forward over this lane's sequences; returns the summed (not averaged) cross-entropy.
    func forward(tokens: [Int], targets: [Int], training: Bool, logits: Bool, threads: Int) -> Double {
        self.tokens = tokens
        self.targets = targets
        let count = tokens.count, batch = count / time
        let c = config.hiddenSize
        let epsilon = Float(config.rmsNormEpsilon)
        let shape = AttentionShape(batch: batch, time: time, heads: config.headCount,
                                   keyValueHeads: config.keyValueHeadCount, dimension: config.headDimension)
        Embedding.forward(tokens: tokens, table: base.values("model.embed_tokens.weight"), out: activations[0].input.pointer, channels: c)
        for layer in 0..<config.layerCount {
            let a = activations[layer]
            let output = layer + 1 < config.layerCount ? activations[layer + 1].input : final.input
            RMSNorm.forward(a.input.pointer, weight: base.values("model.layers.\(layer).input_layernorm.weight"),
                            out: a.norm1.pointer, rstd: a.rstd1.pointer, count: count, channels: c, epsilon: epsilon)
            run(layer, .query, a.norm1, a.query, training)
            run(layer, .key, a.norm1, a.key, training)
            run(layer, .value, a.norm1, a.value, training)
            rotary.apply(a.query.pointer, batch: batch, time: time, heads: config.headCount, inverse: false)
            rotary.apply(a.key.pointer, batch: batch, time: time, heads: config.keyValueHeadCount, inverse: false)
            Attention.forward(q: a.query.pointer, k: a.key.pointer, v: a.value.pointer, probabilities: a.probabilities.pointer,
                              out: a.attention.pointer, shape: shape, threads: threads)
            run(layer, .output, a.attention, a.middle, training)
            for i in 0..<(count * c) { a.middle.pointer[i] += a.input.pointer[i] }
            RMSNorm.forward(a.middle.pointer, weight: base.values("model.layers.\(layer).post_attention_layernorm.weight"),
                            out: a.norm2.pointer, rstd: a.rstd2.pointer, count: count, channels: c, epsilon: epsilon)
            run(layer, .gate, a.norm2, a.gate, training)
            run(layer, .up, a.norm2, a.up, training)
            SwiGLU.forward(gate: a.gate.pointer, up: a.up.pointer, out: a.activated.pointer, count: count * config.intermediateSize)
            if layer == config.layerCount - 1 && !logits && targets.isEmpty {
                // A routing pass: nothing reads the last layer's output, only its router's decisions.
                projection(layer, .down).routeOnly(a.activated.pointer, count: count, adapter: adapter)
                return 0
            }
            run(layer, .down, a.activated, output, training)
            for i in 0..<(count * c) { output.pointer[i] += a.middle.pointer[i] }
        }
        guard logits || !targets.isEmpty else { return 0 }
        RMSNorm.forward(final.input.pointer, weight: base.values("model.norm.weight"), out: final.norm.pointer,
                        rstd: final.rstd.pointer, count: count, channels: c, epsilon: epsilon)
        LinearAlgebra.multiply(final.norm.pointer, base.values(headName), transposeB: true, into: final.logits.pointer,
                               m: count, n: config.vocabularySize, k: c)
        guard !targets.isEmpty else { return 0 }
        return CrossEntropy.forwardBackward(logits: final.logits.pointer, targets: targets, vocabulary: config.vocabularySize,
                                            dLogits: nil, normaliser: 1)
    }

    private func run(_ layer: Int, _ kind: ProjectionKind, _ input: FloatBuffer, _ output: FloatBuffer, _ training: Bool) {
        let projection = projection(layer, kind)
        // Without targets no backward can follow, so the caches the dense path keeps are not needed.
        if !training && targets.isEmpty {
            return projection.forwardWithoutBackward(input.pointer, count: count, base: base, adapter: adapter,
                                                     out: output.pointer, scratch: scratch)
        }
        projection.forward(input.pointer, count: count, base: base, adapter: adapter, out: output.pointer,
                                        training: training, random: &random)
    }

    /// Accumulates this lane's gradients; the cross-entropy is divided by `normaliser` (the
    /// counted targets of the whole batch).
    func backward(normaliser: Int, trainBase: Bool, threads: Int) {
        let count = self.count, batch = count / time
        let c = config.hiddenSize, f = config.intermediateSize
        let shape = AttentionShape(batch: batch, time: time, heads: config.headCount,
                                   keyValueHeads: config.keyValueHeadCount, dimension: config.headDimension)
        let dLogits = scratch.buffer(.dLogits, count * config.vocabularySize)
        _ = CrossEntropy.forwardBackward(logits: final.logits.pointer, targets: targets, vocabulary: config.vocabularySize,
                                         dLogits: dLogits, normaliser: normaliser)
        let dNorm = scratch.buffer(.dNorm, count * c)
        let dResidual = scratch.buffer(.dResidual, count * c)
        LinearAlgebra.multiply(dLogits, base.values(headName), into: dNorm, m: count, n: c, k: config.vocabularySize)
        if trainBase {
            LinearAlgebra.multiply(dLogits, transposeA: true, final.norm.pointer, into: base.gradients(headName),
                                   m: config.vocabularySize, n: c, k: count, beta: 1)
        }
        dResidual.update(repeating: 0, count: count * c)
        RMSNorm.backward(dNorm, x: final.input.pointer, weight: base.values("model.norm.weight"), rstd: final.rstd.pointer,
                         dx: dResidual, dWeight: trainBase ? base.gradients("model.norm.weight") : nil, count: count, channels: c)
        let dActivated = scratch.buffer(.dActivated, count * f), dGate = scratch.buffer(.dGate, count * f), dUp = scratch.buffer(.dUp, count * f)
        let dAttention = scratch.buffer(.dAttention, count * c), dQuery = scratch.buffer(.dQuery, count * c)
        let dKey = scratch.buffer(.dKey, count * config.keyValueWidth), dValue = scratch.buffer(.dValue, count * config.keyValueWidth)
        for layer in (0..<config.layerCount).reversed() {
            let a = activations[layer]
            let gradient = balanceGradients.indices.contains(layer) ? balanceGradients[layer] : nil
            // MLP: out = middle + down(silu(gate(h)) * up(h)), h = rmsnorm(middle)
            dActivated.update(repeating: 0, count: count * f)
            back(layer, .down, dResidual, a.activated, dActivated, gradient, trainBase)
            SwiGLU.backward(dActivated, gate: a.gate.pointer, up: a.up.pointer, dGate: dGate, dUp: dUp, count: count * f)
            dNorm.update(repeating: 0, count: count * c)
            back(layer, .gate, dGate, a.norm2, dNorm, gradient, trainBase)
            back(layer, .up, dUp, a.norm2, dNorm, gradient, trainBase)
            RMSNorm.backward(dNorm, x: a.middle.pointer, weight: base.values("model.layers.\(layer).post_attention_layernorm.weight"),
                             rstd: a.rstd2.pointer, dx: dResidual,
                             dWeight: trainBase ? base.gradients("model.layers.\(layer).post_attention_layernorm.weight") : nil,
                             count: count, channels: c)
            // Attention: middle = input + o(attention(q, k, v)), q, k, v of rmsnorm(input)
            dAttention.update(repeating: 0, count: count * c)
            back(layer, .output, dResidual, a.attention, dAttention, gradient, trainBase)
            dQuery.update(repeating: 0, count: count * c)
            dKey.update(repeating: 0, count: count * config.keyValueWidth)
            dValue.update(repeating: 0, count: count * config.keyValueWidth)
            Attention.backward(dAttention, q: a.query.pointer, k: a.key.pointer, v: a.value.pointer,
                               probabilities: a.probabilities.pointer, dq: dQuery, dk: dKey, dv: dValue, shape: shape, threads: threads)
            rotary.apply(dQuery, batch: batch, time: time, heads: config.headCount, inverse: true)
            rotary.apply(dKey, batch: batch, time: time, heads: config.keyValueHeadCount, inverse: true)
            dNorm.update(repeating: 0, count: count * c)
            back(layer, .query, dQuery, a.norm1, dNorm, gradient, trainBase)
            back(layer, .key, dKey, a.norm1, dNorm, gradient, trainBase)
            back(layer, .value, dValue, a.norm1, dNorm, gradient, trainBase)
            RMSNorm.backward(dNorm, x: a.input.pointer, weight: base.values("model.layers.\(layer).input_layernorm.weight"),
                             rstd: a.rstd1.pointer, dx: dResidual,
                             dWeight: trainBase ? base.gradients("model.layers.\(layer).input_layernorm.weight") : nil,
                             count: count, channels: c)
        }
        if trainBase {
            Embedding.backward(tokens: tokens, dout: dResidual, dTable: base.gradients("model.embed_tokens.weight"), channels: c)
        }
    }

    private func back(_ layer: Int, _ kind: ProjectionKind, _ dout: UnsafeMutablePointer<Float>, _ input: FloatBuffer,
                      _ dx: UnsafeMutablePointer<Float>, _ balanceGradient: [Float]?, _ trainBase: Bool) {
        projection(layer, kind).backward(dout, x: input.pointer, count: count, base: base, adapter: adapter, dx: dx,
                                         trainBase: trainBase, balanceGradient: balanceGradient, scratch: scratch)
    }
}
