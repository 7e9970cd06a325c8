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
    /// The layer sequence and the base's weight handles, shared with the other lanes.
    let stack: DecoderStack
    let projections: [[MoLALinear]]
    /// Per layer, its feed-forward experts (MixLoRA) where they replace its MLP.
    let feedForwardExperts: [FeedForwardExperts?]
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

    init(stack: DecoderStack, layout: AdapterLayout, capacity: Int, time: Int, base: ParameterSet, adapter: ParameterSet,
         rotary: RotaryTable, seed: UInt64) {
        let config = stack.config
        self.config = config
        self.stack = stack
        self.time = time
        self.capacity = capacity
        self.base = base
        self.adapter = adapter
        self.rotary = rotary
        random = SplitMix(seed: seed)
        let tokens = capacity * time
        (projections, feedForwardExperts) = layout.layers(capacity: tokens, base: base, adapter: adapter)
        let shared = SharedActivations(config: config, count: tokens)
        activations = (0..<config.layerCount).map { _ in LayerActivations(config: config, batch: capacity, time: time, shared: shared) }
        final = FinalActivations(config: config, count: tokens)
    }

    func projection(_ layer: Int, _ kind: ProjectionKind) -> MoLALinear { projections[layer][kind.rawValue] }

    /// The routers of `layer` in site order (`Router.ofLayer`).
    func routers(_ layer: Int) -> [Router] { Router.ofLayer(projections[layer], feedForwardExperts[layer]) }

    /// Forward over this lane's sequences; returns the summed (not averaged) cross-entropy.
    func forward(tokens: [Int], targets: [Int], training: Bool, logits: Bool, threads: Int) -> Double {
        self.tokens = tokens
        self.targets = targets
        let count = tokens.count, batch = count / time
        let shape = AttentionShape(batch: batch, time: time, heads: config.headCount,
                                   keyValueHeads: config.keyValueHeadCount, dimension: config.headDimension)
        // A routing pass: nothing reads the last layer's output, only its down projection's routing.
        let routingPass = !logits && targets.isEmpty
        stack.embed(tokens, base: base, into: activations[0].input.pointer)
        for (layer, decoderLayer) in stack.layers.enumerated() {
            let a = activations[layer]
            let output = layer + 1 < config.layerCount ? activations[layer + 1].input : final.input
            let last = layer == config.layerCount - 1
            let steps = BatchedSteps(lane: self, layer: layer, training: training, shape: shape,
                                     probabilities: a.probabilities.pointer, threads: threads)
            decoderLayer.forward(a.buffers(output: output), count: count, base: base, steps: steps,
                                 stopBeforeDown: routingPass && last)
            if routingPass && last {
                projection(layer, .down).routeOnly(a.activated.pointer, count: count, adapter: adapter)
                return 0
            }
        }
        guard logits || !targets.isEmpty else { return 0 }
        stack.logits(final.input.pointer, count: count, base: base, norm: final.norm.pointer, rstd: final.rstd.pointer,
                     into: final.logits.pointer)
        guard !targets.isEmpty else { return 0 }
        return CrossEntropy.forwardBackward(logits: final.logits.pointer, targets: targets, vocabulary: config.vocabularySize,
                                            dLogits: nil, normaliser: 1)
    }

    /// Projection `kind` of `layer` over this lane's rows.
    func run(_ layer: Int, _ kind: ProjectionKind, _ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>,
             _ training: Bool) {
        let projection = projection(layer, kind)
        // Without targets no backward can follow, so the caches the dense path keeps are not needed.
        if !training && targets.isEmpty {
            return projection.forwardWithoutBackward(input, count: count, base: base, adapter: adapter,
                                                     out: output, scratch: scratch)
        }
        projection.forward(input, count: count, base: base, adapter: adapter, out: output,
                                        training: training, random: &random)
    }

    /// Accumulates this lane's gradients; the cross-entropy is divided by `normaliser` (the
    /// counted targets of the whole batch).
    func backward(normaliser: Int, trainBase: Bool, threads: Int) {
        let count = self.count, batch = count / time
        let c = config.hiddenSize, f = config.intermediateSize
        let shape = AttentionShape(batch: batch, time: time, heads: config.headCount,
                                   keyValueHeads: config.keyValueHeadCount, dimension: config.headDimension)
        let weights = stack.weights, epsilon = Float(config.rmsNormEpsilon)
        // In place: the logits are not read again, and [N, V] is the largest buffer of a step.
        let dLogits = final.logits.pointer
        _ = CrossEntropy.forwardBackward(logits: final.logits.pointer, targets: targets, vocabulary: config.vocabularySize,
                                         dLogits: dLogits, normaliser: normaliser)
        let dNorm = scratch.buffer(.dNorm, count * c)
        let dResidual = scratch.buffer(.dResidual, count * c)
        LinearAlgebra.multiply(dLogits, base.values(weights.head), into: dNorm, m: count, n: c, k: config.vocabularySize)
        if trainBase {
            LinearAlgebra.multiply(dLogits, transposeA: true, final.norm.pointer, into: base.gradients(weights.head),
                                   m: config.vocabularySize, n: c, k: count, beta: 1)
        }
        dResidual.update(repeating: 0, count: count * c)
        RMSNorm.backward(dNorm, x: final.input.pointer, weight: base.values(weights.finalNorm), rstd: final.rstd.pointer,
                         dx: dResidual, dWeight: trainBase ? base.gradients(weights.finalNorm) : nil, count: count, channels: c)
        let dActivated = scratch.buffer(.dActivated, count * f), dGate = scratch.buffer(.dGate, count * f), dUp = scratch.buffer(.dUp, count * f)
        let dAttention = scratch.buffer(.dAttention, count * c), dQuery = scratch.buffer(.dQuery, count * c)
        let dKey = scratch.buffer(.dKey, count * config.keyValueWidth), dValue = scratch.buffer(.dValue, count * config.keyValueWidth)
        for layer in (0..<config.layerCount).reversed() {
            let a = activations[layer], layerWeights = weights.layers[layer]
            let gradient = balanceGradients.indices.contains(layer) ? balanceGradients[layer] : nil
            // MLP: out = middle + down(silu(gate(h)) * up(h)), h = rmsnorm(middle)
            // Recomputed: every layer's forward wrote its SwiGLU output and norms into the same buffers.
            SwiGLU.forward(gate: a.gate.pointer, up: a.up.pointer, out: a.activated.pointer, count: count * f)
            dActivated.update(repeating: 0, count: count * f)
            back(layer, .down, dResidual, a.activated, dActivated, gradient, trainBase)
            SwiGLU.backward(dActivated, gate: a.gate.pointer, up: a.up.pointer, dGate: dGate, dUp: dUp, count: count * f)
            RMSNorm.forward(a.middle.pointer, weight: base.values(layerWeights.postAttentionNorm), out: a.norm2.pointer,
                            rstd: a.rstd2.pointer, count: count, channels: c, epsilon: epsilon)
            dNorm.update(repeating: 0, count: count * c)
            back(layer, .gate, dGate, a.norm2, dNorm, gradient, trainBase)
            back(layer, .up, dUp, a.norm2, dNorm, gradient, trainBase)
            RMSNorm.backward(dNorm, x: a.middle.pointer, weight: base.values(layerWeights.postAttentionNorm),
                             rstd: a.rstd2.pointer, dx: dResidual,
                             dWeight: trainBase ? base.gradients(layerWeights.postAttentionNorm) : nil,
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
            RMSNorm.forward(a.input.pointer, weight: base.values(layerWeights.inputNorm), out: a.norm1.pointer,
                            rstd: a.rstd1.pointer, count: count, channels: c, epsilon: epsilon)
            dNorm.update(repeating: 0, count: count * c)
            back(layer, .query, dQuery, a.norm1, dNorm, gradient, trainBase)
            back(layer, .key, dKey, a.norm1, dNorm, gradient, trainBase)
            back(layer, .value, dValue, a.norm1, dNorm, gradient, trainBase)
            RMSNorm.backward(dNorm, x: a.input.pointer, weight: base.values(layerWeights.inputNorm),
                             rstd: a.rstd1.pointer, dx: dResidual,
                             dWeight: trainBase ? base.gradients(layerWeights.inputNorm) : nil,
                             count: count, channels: c)
        }
        if trainBase {
            Embedding.backward(tokens: tokens, dout: dResidual, dTable: base.gradients(weights.embedding), channels: c)
        }
    }

    private func back(_ layer: Int, _ kind: ProjectionKind, _ dout: UnsafeMutablePointer<Float>, _ input: FloatBuffer,
                      _ dx: UnsafeMutablePointer<Float>, _ balanceGradient: [Float]?, _ trainBase: Bool) {
        projection(layer, kind).backward(dout, x: input.pointer, count: count, base: base, adapter: adapter, dx: dx,
                                         trainBase: trainBase, balanceGradient: balanceGradient, scratch: scratch)
    }
}

/// The lanes' steps of a decoder layer: whole sequences ([B, T] rows), rotary by position in
/// the sequence, causal attention keeping its probabilities for the backward.
struct BatchedSteps: DecoderLayerSteps {
    let lane: Lane
    let layer: Int
    let training: Bool
    let shape: AttentionShape
    /// [B, H, T, T], this layer's.
    let probabilities: UnsafeMutablePointer<Float>
    let threads: Int

    func project(_ kind: ProjectionKind, _ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        lane.run(layer, kind, x, y, training)
    }

    func rotate(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>) {
        lane.rotary.apply(query, batch: shape.batch, time: shape.time, heads: shape.heads, inverse: false)
        lane.rotary.apply(key, batch: shape.batch, time: shape.time, heads: shape.keyValueHeads, inverse: false)
    }

    func attend(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>, value: UnsafeMutablePointer<Float>,
                into out: UnsafeMutablePointer<Float>) {
        Attention.forward(q: query, k: key, v: value, probabilities: probabilities, out: out, shape: shape, threads: threads)
    }

    func runFeedForwardExperts(_ b: LayerBuffers, routeOnly: Bool) -> Bool {
        guard let experts = lane.feedForwardExperts[layer] else { return false }
        experts.run(b, count: lane.count, base: lane.base, adapter: lane.adapter, scratch: lane.scratch, routeOnly: routeOnly)
        return true
    }
}
