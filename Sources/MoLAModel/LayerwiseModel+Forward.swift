import MoLACheckpoint
import MoLATensor

extension LayerwiseModel {
    /// Runs `tokens` ([B, T] row-major, B at most `batch`) layer by layer up to the last router,
    /// recording every router's decisions in `routingTap`.
    ///
    /// - Throws: `ModelError.tokenOutOfRange`; the readers' errors if the mapped file went bad.
    public func routingForward(tokens: [Int]) throws {
        _ = try decode(tokens, throughLastDown: false)
    }

    /// The logits of `tokens` ([B, T] row-major), [B T, V]: the decoder layer by layer, then the
    /// final norm and the LM head, whose rows are converted a block at a time into the layer buffer.
    ///
    /// - Throws: `ModelError.tokenOutOfRange`; the readers' errors if the mapped file went bad.
    public func logits(tokens: [Int]) throws -> [Float] {
        let x = try decode(tokens, throughLastDown: true)
        let count = tokens.count, c = config.hiddenSize, v = config.vocabularySize
        let norm = activations.norm1.pointer, rstd = activations.rstd1.pointer
        var weight = [Float](repeating: 0, count: c)
        try weight.withUnsafeMutableBufferPointer { try file.record(named: BaseTensorName.finalNorm).readFloats(into: $0.baseAddress!) }
        RMSNorm.forward(x, weight: weight, out: norm, rstd: rstd, count: count, channels: c, epsilon: Float(config.rmsNormEpsilon))
        let head = try file.record(named: config.tiedEmbeddings ? BaseTensorName.embedding : BaseTensorName.head)
        let block = max(1, min(v, layerWeights.count / c))
        var logits = [Float](repeating: 0, count: count * v)
        try logits.withUnsafeMutableBufferPointer { out in
            for first in stride(from: 0, to: v, by: block) {
                let rows = min(block, v - first)
                try head.readFloats(rows: first..<(first + rows), into: layerWeights.values.pointer)
                LinearAlgebra.multiply(norm, layerWeights.values.pointer, transposeB: true, into: out.baseAddress! + first,
                                       leadingC: v, m: count, n: rows, k: c)
            }
        }
        return logits
    }

    /// Runs the decoder layer by layer; returns the last layer's output (the residual stream),
    /// or, without `throughLastDown`, stops once the last down projection has routed.
    private func decode(_ tokens: [Int], throughLastDown: Bool) throws -> UnsafeMutablePointer<Float> {
        let count = tokens.count, c = config.hiddenSize
        precondition(count % time == 0 && count / time <= batch && count > 0,
                     "routingForward: \(count) tokens is not 1 to \(batch) sequences of \(time)")
        for (position, token) in tokens.enumerated() where token < 0 || token >= config.vocabularySize {
            throw ModelError.tokenOutOfRange(token: token, position: position, vocabularySize: config.vocabularySize)
        }
        LinearAlgebra.setBLASThreadCount(threadCount)
        var x = activations.input, y = residual
        let embedding = try file.record(named: BaseTensorName.embedding)
        for (position, token) in tokens.enumerated() {
            try embedding.readFloats(rows: token..<(token + 1), into: x.pointer + position * c)
        }
        let shape = AttentionShape(batch: count / time, time: time, heads: config.headCount,
                                   keyValueHeads: config.keyValueHeadCount, dimension: config.headDimension)
        for layer in 0..<config.layerCount {
            try convertLayer(layer)
            let weights = BaseWeights.Layer(
                inputNorm: layerWeights.view(BaseTensorName.inputNorm(layer: layer)),
                postAttentionNorm: layerWeights.view(BaseTensorName.postAttentionNorm(layer: layer)),
                projections: ProjectionKind.allCases.map { layerWeights.view(BaseTensorName.projection(layer: layer, $0)) })
            let decoder = DecoderLayer(weights: weights, hiddenSize: c, intermediateSize: config.intermediateSize,
                                       epsilon: Float(config.rmsNormEpsilon))
            var buffers = activations.buffers(output: y)
            buffers.input = x.pointer
            // A routing pass reads nothing of the last layer's output but its down projection's routing.
            let last = layer == config.layerCount - 1 && !throughLastDown
            decoder.forward(buffers, count: count, base: layerWeights, steps: LayerwiseSteps(model: self, layer: layer, count: count, shape: shape),
                            stopBeforeDown: last)
            if last { projections[layer][ProjectionKind.down.rawValue].routeOnly(activations.activated.pointer, count: count, adapter: adapter) }
            swap(&x, &y)
        }
        if let routingTap {
            routingTap.reset()
            for (layer, experts) in zip(projections, feedForwardExperts) {
                for router in Router.ofLayer(layer, experts) { routingTap.record([(router, count)]) }
            }
        }
        return x.pointer
    }
}

/// A `LayerwiseModel`'s steps of one decoder layer: its projections on the converted layer
/// weights, rotary by position in the window, causal attention over whole windows.
struct LayerwiseSteps: DecoderLayerSteps {
    let model: LayerwiseModel
    let layer: Int
    let count: Int
    let shape: AttentionShape

    func project(_ kind: ProjectionKind, _ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        model.projections[layer][kind.rawValue].forwardWithoutBackward(x, count: count, base: model.layerWeights, adapter: model.adapter,
                                                                      out: y, scratch: model.scratch)
    }

    func rotate(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>) {
        model.rotary.apply(query, batch: shape.batch, time: shape.time, heads: shape.heads, inverse: false)
        model.rotary.apply(key, batch: shape.batch, time: shape.time, heads: shape.keyValueHeads, inverse: false)
    }

    func attend(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>, value: UnsafeMutablePointer<Float>,
                into out: UnsafeMutablePointer<Float>) {
        Attention.forward(q: query, k: key, v: value, probabilities: model.activations.probabilities.pointer, out: out,
                          shape: shape, threads: model.threadCount)
    }

    func runFeedForwardExperts(_ b: LayerBuffers, routeOnly: Bool) -> Bool {
        guard let experts = model.feedForwardExperts[layer] else { return false }
        experts.run(b, count: count, base: model.layerWeights, adapter: model.adapter, scratch: model.scratch, routeOnly: routeOnly)
        return true
    }
}
