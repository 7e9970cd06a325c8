import Foundation
import MoLACheckpoint
import MoLATensor

/// Greedy generation with a key/value cache: tokens go in one at a time, each attending to the
/// cached keys and values of the tokens before it, so a prompt of n tokens and m new tokens cost
/// n + m single-token passes instead of m full ones.
///
/// ```
/// per layer, for the token at position t:   k_t, v_t appended to the cache [t + 1, Hk * D]
/// out_h = sum_{s <= t} softmax_s(q_h . k_s / sqrt(D)) v_s      (head h reads group h / (H / Hk))
/// ```
/// Uses the model's weights and lane 0's projections (their caches are overwritten).
public final class KeyValueCacheGenerator {
    public let model: LlamaModel
    /// The longest sequence the cache holds (the model's length).
    public let capacity: Int
    public private(set) var length = 0
    private let keys: [FloatBuffer]
    private let values: [FloatBuffer]
    private let x, norm, query, key, value, attention, middle, gate, up, activated, scores: FloatBuffer
    private let logitsBuffer: FloatBuffer
    private let rotary: RotaryTable
    private let scratch = Scratch()

    public init(model: LlamaModel) {
        self.model = model
        let config = model.config
        capacity = model.time
        keys = (0..<config.layerCount).map { _ in FloatBuffer(count: model.time * config.keyValueWidth) }
        values = (0..<config.layerCount).map { _ in FloatBuffer(count: model.time * config.keyValueWidth) }
        x = FloatBuffer(count: config.hiddenSize); norm = FloatBuffer(count: config.hiddenSize)
        query = FloatBuffer(count: config.hiddenSize); key = FloatBuffer(count: config.keyValueWidth)
        value = FloatBuffer(count: config.keyValueWidth); attention = FloatBuffer(count: config.hiddenSize)
        middle = FloatBuffer(count: config.hiddenSize); gate = FloatBuffer(count: config.intermediateSize)
        up = FloatBuffer(count: config.intermediateSize); activated = FloatBuffer(count: config.intermediateSize)
        scores = FloatBuffer(count: model.time)
        logitsBuffer = FloatBuffer(count: config.vocabularySize)
        rotary = RotaryTable(length: model.time, dimension: config.headDimension, theta: config.ropeTheta)
    }

    /// Forgets every cached token.
    public func reset() { length = 0 }

    /// Feeds one token; returns the logits for the next one.
    ///
    /// - Throws: `ModelError.tokenOutOfRange`, `.invalidConfig` when the cache is full.
    @discardableResult
    public func step(_ token: Int) throws -> UnsafeBufferPointer<Float> {
        let config = model.config
        guard token >= 0, token < config.vocabularySize else {
            throw ModelError.tokenOutOfRange(token: token, position: length, vocabularySize: config.vocabularySize)
        }
        guard length < capacity else { throw ModelError.invalidConfig("the sequence is longer than the model's \(capacity) positions") }
        let c = config.hiddenSize, kv = config.keyValueWidth, d = config.headDimension
        let epsilon = Float(config.rmsNormEpsilon)
        let base = model.base
        x.pointer.update(from: base.values("model.embed_tokens.weight") + token * c, count: c)
        for layer in 0..<config.layerCount {
            RMSNorm.forward(x.pointer, weight: base.values("model.layers.\(layer).input_layernorm.weight"), out: norm.pointer,
                            rstd: scores.pointer, count: 1, channels: c, epsilon: epsilon)
            project(layer, .query, norm, query)
            project(layer, .key, norm, key)
            project(layer, .value, norm, value)
            rotary.apply(row: query.pointer, position: length, heads: config.headCount)
            rotary.apply(row: key.pointer, position: length, heads: config.keyValueHeadCount)
            (keys[layer].pointer + length * kv).update(from: key.pointer, count: kv)
            (values[layer].pointer + length * kv).update(from: value.pointer, count: kv)
            let scale = 1 / Float(d).squareRoot()
            for h in 0..<config.headCount {
                let g = h / (config.headCount / config.keyValueHeadCount)
                let q = query.pointer + h * d
                var maximum = -Float.infinity
                for s in 0...length {
                    let k = keys[layer].pointer + s * kv + g * d
                    var dot: Float = 0
                    for i in 0..<d { dot += q[i] * k[i] }
                    scores[s] = dot * scale
                    maximum = max(maximum, scores[s])
                }
                var sum: Float = 0
                for s in 0...length { scores[s] = exp(scores[s] - maximum); sum += scores[s] }
                let out = attention.pointer + h * d
                out.update(repeating: 0, count: d)
                for s in 0...length {
                    let weight = scores[s] / sum, v = values[layer].pointer + s * kv + g * d
                    for i in 0..<d { out[i] += weight * v[i] }
                }
            }
            project(layer, .output, attention, middle)
            for i in 0..<c { middle.pointer[i] += x.pointer[i] }
            RMSNorm.forward(middle.pointer, weight: base.values("model.layers.\(layer).post_attention_layernorm.weight"),
                            out: norm.pointer, rstd: scores.pointer, count: 1, channels: c, epsilon: epsilon)
            project(layer, .gate, norm, gate)
            project(layer, .up, norm, up)
            SwiGLU.forward(gate: gate.pointer, up: up.pointer, out: activated.pointer, count: config.intermediateSize)
            project(layer, .down, activated, x)
            for i in 0..<c { x.pointer[i] += middle.pointer[i] }
        }
        RMSNorm.forward(x.pointer, weight: base.values("model.norm.weight"), out: norm.pointer, rstd: scores.pointer,
                        count: 1, channels: c, epsilon: epsilon)
        let head = config.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight"
        LinearAlgebra.multiply(norm.pointer, base.values(head), transposeB: true, into: logitsBuffer.pointer,
                               m: 1, n: config.vocabularySize, k: c)
        length += 1
        return UnsafeBufferPointer(start: logitsBuffer.pointer, count: config.vocabularySize)
    }

    private func project(_ layer: Int, _ kind: ProjectionKind, _ input: FloatBuffer, _ output: FloatBuffer) {
        model.projection(layer, kind).forwardWithoutBackward(input.pointer, count: 1, base: model.base, adapter: model.adapter,
                                                             out: output.pointer, scratch: scratch)
    }

    /// Greedy continuation of `prompt`: up to `maxNewTokens` tokens, stopping after `stop`.
    public func generate(prompt: [Int], maxNewTokens: Int, stop: Int?) throws -> [Int] {
        reset()
        guard let last = prompt.last else { return [] }
        for token in prompt.dropLast() { try step(token) }
        var next = last
        var generated: [Int] = []
        while generated.count < maxNewTokens && length < capacity {
            let logits = try step(next)
            next = logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!
            generated.append(next)
            if next == stop { break }
        }
        return generated
    }
}
