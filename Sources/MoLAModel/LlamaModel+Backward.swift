import MoLACheckpoint
import MoLATensor

extension LlamaModel {
    /// Accumulates the gradients of the last forward's loss (it must have had targets) into
    /// the adapter's gradients, and the base's when `trainBase`. Call `zeroGradients()` first
    /// unless accumulating micro-batches.
    public func backward() {
        precondition(!lastTargets.isEmpty, "backward: the last forward had no targets")
        let count = lastCount
        let batch = count / time
        let c = config.hiddenSize, f = config.intermediateSize
        let shape = AttentionShape(batch: batch, time: time, heads: config.headCount,
                                   keyValueHeads: config.keyValueHeadCount, dimension: config.headDimension)
        let dLogits = scratch.buffer(10, count * config.vocabularySize)
        _ = CrossEntropy.forwardBackward(logits: final.logits.pointer, targets: lastTargets,
                                         vocabulary: config.vocabularySize, dLogits: dLogits)
        let dNorm = scratch.buffer(11, count * c)
        let dResidual = scratch.buffer(12, count * c)
        LinearAlgebra.multiply(dLogits, base.values(headName), into: dNorm, m: count, n: c, k: config.vocabularySize)
        if trainBase {
            LinearAlgebra.multiply(dLogits, transposeA: true, final.norm.pointer, into: base.gradients(headName),
                                   m: config.vocabularySize, n: c, k: count, beta: 1)
        }
        dResidual.update(repeating: 0, count: count * c)
        RMSNorm.backward(dNorm, x: final.input.pointer, weight: base.values("model.norm.weight"), rstd: final.rstd.pointer,
                         dx: dResidual, dWeight: trainBase ? base.gradients("model.norm.weight") : nil, count: count, channels: c)
        let dActivated = scratch.buffer(13, count * f)
        let dGate = scratch.buffer(14, count * f)
        let dUp = scratch.buffer(15, count * f)
        let dAttention = scratch.buffer(16, count * c)
        let dQuery = scratch.buffer(17, count * c)
        let dKey = scratch.buffer(18, count * config.keyValueWidth)
        let dValue = scratch.buffer(19, count * config.keyValueWidth)
        for layer in (0..<config.layerCount).reversed() {
            let a = activations[layer]
            let gradient = balanceGradients.indices.contains(layer) ? balanceGradients[layer] : nil
            // MLP: out = middle + down(silu(gate(h)) * up(h)), h = rmsnorm(middle)
            dActivated.update(repeating: 0, count: count * f)
            back(layer, .down, dResidual, a.activated, dActivated, count, gradient)
            SwiGLU.backward(dActivated, gate: a.gate.pointer, up: a.up.pointer, dGate: dGate, dUp: dUp, count: count * f)
            dNorm.update(repeating: 0, count: count * c)
            back(layer, .gate, dGate, a.norm2, dNorm, count, gradient)
            back(layer, .up, dUp, a.norm2, dNorm, count, gradient)
            RMSNorm.backward(dNorm, x: a.middle.pointer, weight: base.values("model.layers.\(layer).post_attention_layernorm.weight"),
                             rstd: a.rstd2.pointer, dx: dResidual,
                             dWeight: trainBase ? base.gradients("model.layers.\(layer).post_attention_layernorm.weight") : nil,
                             count: count, channels: c)
            // Attention: middle = input + o(attention(q, k, v)), q, k, v of rmsnorm(input)
            dAttention.update(repeating: 0, count: count * c)
            back(layer, .output, dResidual, a.attention, dAttention, count, gradient)
            dQuery.update(repeating: 0, count: count * c)
            dKey.update(repeating: 0, count: count * config.keyValueWidth)
            dValue.update(repeating: 0, count: count * config.keyValueWidth)
            withBLASThreads(1) {
                Attention.backward(dAttention, q: a.query.pointer, k: a.key.pointer, v: a.value.pointer,
                                   probabilities: a.probabilities.pointer, dq: dQuery, dk: dKey, dv: dValue,
                                   shape: shape, threads: threadCount)
            }
            rotary.apply(dQuery, batch: batch, time: time, heads: config.headCount, inverse: true)
            rotary.apply(dKey, batch: batch, time: time, heads: config.keyValueHeadCount, inverse: true)
            dNorm.update(repeating: 0, count: count * c)
            back(layer, .query, dQuery, a.norm1, dNorm, count, gradient)
            back(layer, .key, dKey, a.norm1, dNorm, count, gradient)
            back(layer, .value, dValue, a.norm1, dNorm, count, gradient)
            RMSNorm.backward(dNorm, x: a.input.pointer, weight: base.values("model.layers.\(layer).input_layernorm.weight"),
                             rstd: a.rstd1.pointer, dx: dResidual,
                             dWeight: trainBase ? base.gradients("model.layers.\(layer).input_layernorm.weight") : nil,
                             count: count, channels: c)
        }
        if trainBase {
            Embedding.backward(tokens: lastTokens, dout: dResidual, dTable: base.gradients("model.embed_tokens.weight"), channels: c)
        }
    }

    private func back(_ layer: Int, _ kind: ProjectionKind, _ dout: UnsafeMutablePointer<Float>, _ input: FloatBuffer,
                      _ dx: UnsafeMutablePointer<Float>, _ count: Int, _ balanceGradient: [Float]?) {
        projection(layer, kind).backward(dout, x: input.pointer, count: count, base: base, adapter: adapter, dx: dx,
                                         trainBase: trainBase, balanceGradient: balanceGradient, scratch: scratch)
    }
}
