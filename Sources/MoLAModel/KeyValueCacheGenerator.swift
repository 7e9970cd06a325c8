import MoLACheckpoint
import MoLAFiles
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
    /// Per layer, the keys and values of every position so far, [capacity, Hk * D].
    fileprivate let keys: [FloatBuffer]
    fileprivate let values: [FloatBuffer]
    /// One token's activations, reused by every layer: the norms share `norm`, the layer's output overwrites `x`.
    private let x, norm, query, key, value, attention, middle, gate, up, activated, rstd: FloatBuffer
    /// Attention weights of one head over the cached positions, [capacity].
    fileprivate let scores: FloatBuffer
    private let logitsBuffer: FloatBuffer
    fileprivate let rotary: RotaryTable
    private let stack: DecoderStack
    private let scratch = Scratch()

    /// - Throws: `MemoryError` when the cache for the model's length does not fit the machine.
    public init(model: LlamaModel) throws {
        self.model = model
        let config = model.config
        try Self.memoryRequirement(config: config, length: model.time)
            .require(for: "the key/value cache for \(model.time) tokens")
        capacity = model.time
        keys = (0..<config.layerCount).map { _ in FloatBuffer(count: model.time * config.keyValueWidth) }
        values = (0..<config.layerCount).map { _ in FloatBuffer(count: model.time * config.keyValueWidth) }
        x = FloatBuffer(count: config.hiddenSize); norm = FloatBuffer(count: config.hiddenSize)
        query = FloatBuffer(count: config.hiddenSize); key = FloatBuffer(count: config.keyValueWidth)
        value = FloatBuffer(count: config.keyValueWidth); attention = FloatBuffer(count: config.hiddenSize)
        middle = FloatBuffer(count: config.hiddenSize); gate = FloatBuffer(count: config.intermediateSize)
        up = FloatBuffer(count: config.intermediateSize); activated = FloatBuffer(count: config.intermediateSize)
        rstd = FloatBuffer(count: 1)
        scores = FloatBuffer(count: model.time)
        logitsBuffer = FloatBuffer(count: config.vocabularySize)
        rotary = RotaryTable(length: model.time, dimension: config.headDimension, theta: config.ropeTheta)
        stack = model.lanes[0].stack
    }

    /// The cache's keys and values, `2 L T Ckv` floats, and one token's activations.
    public static func memoryRequirement(config: ModelConfig, length: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate()
        estimate.add(2, config.layerCount, length, config.keyValueHeadCount, config.headDimension)
        estimate.add(length)
        estimate.add(config.vocabularySize)
        estimate.add(6, config.hiddenSize)
        estimate.add(3, config.intermediateSize)
        return estimate
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
        let buffers = LayerBuffers(input: x.pointer, norm1: norm.pointer, query: query.pointer, key: key.pointer, value: value.pointer,
                                   attention: attention.pointer, middle: middle.pointer, norm2: norm.pointer, gate: gate.pointer,
                                   up: up.pointer, activated: activated.pointer, output: x.pointer,
                                   rstd1: rstd.pointer, rstd2: rstd.pointer)
        stack.embed([token], base: model.base, into: x.pointer)
        for (layer, decoderLayer) in stack.layers.enumerated() {
            decoderLayer.forward(buffers, count: 1, base: model.base, steps: CachedSteps(generator: self, layer: layer))
        }
        stack.logits(x.pointer, count: 1, base: model.base, norm: norm.pointer, rstd: rstd.pointer, into: logitsBuffer.pointer)
        length += 1
        return UnsafeBufferPointer(start: logitsBuffer.pointer, count: config.vocabularySize)
    }

    fileprivate func project(_ layer: Int, _ kind: ProjectionKind, _ input: UnsafeMutablePointer<Float>,
                             _ output: UnsafeMutablePointer<Float>) {
        model.projection(layer, kind).forwardWithoutBackward(input, count: 1, base: model.base, adapter: model.adapter,
                                                             out: output, scratch: scratch)
    }

    /// Greedy continuation of `prompt`: up to `maxNewTokens` tokens, stopping after `stop`.
    public func generate(prompt: [Int], maxNewTokens: Int, stop: Int?) throws -> [Int] {
        var sampler = TokenSampler()
        return try generate(prompt: prompt, maxNewTokens: maxNewTokens, stop: Set(stop.map { [$0] } ?? []), sampler: &sampler)
    }

    /// Continuation of `prompt` chosen by `sampler`: up to `maxNewTokens` tokens or until the
    /// cache is full, stopping after a token of `stop`; `onToken` sees each token as it comes.
    public func generate(prompt: [Int], maxNewTokens: Int, stop: Set<Int>, sampler: inout TokenSampler,
                         onToken: (Int) throws -> Void = { _ in }) throws -> [Int] {
        reset()
        guard let last = prompt.last else { return [] }
        for token in prompt.dropLast() { try step(token) }
        var next = last
        var generated: [Int] = []
        while generated.count < maxNewTokens && length < capacity {
            next = sampler.next(try step(next))
            generated.append(next)
            try onToken(next)
            if stop.contains(next) { break }
        }
        return generated
    }
}

/// The generator's steps of a decoder layer: one token at position `length`, its key and value
/// appended to the layer's cache, attending to every cached position.
///
/// ```
/// q is [H D], k and v are [Hk D]; the cache holds k_s, v_s for s <= t = length
/// out_h = sum_s softmax_s(q_h . k_s / sqrt(D)) v_s      (head h reads group h / (H / Hk))
/// ```
private struct CachedSteps: DecoderLayerSteps {
    let generator: KeyValueCacheGenerator
    let layer: Int

    func project(_ kind: ProjectionKind, _ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        generator.project(layer, kind, x, y)
    }

    func rotate(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>) {
        let config = generator.model.config
        generator.rotary.apply(row: query, position: generator.length, heads: config.headCount)
        generator.rotary.apply(row: key, position: generator.length, heads: config.keyValueHeadCount)
    }

    func attend(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>, value: UnsafeMutablePointer<Float>,
                into out: UnsafeMutablePointer<Float>) {
        let config = generator.model.config
        let kv = config.keyValueWidth, d = config.headDimension, t = generator.length
        let keys = generator.keys[layer].pointer, values = generator.values[layer].pointer, scores = generator.scores.pointer
        (keys + t * kv).update(from: key, count: kv)
        (values + t * kv).update(from: value, count: kv)
        let scale = 1 / Float(d).squareRoot()
        for h in 0..<config.headCount {
            let g = h / (config.headCount / config.keyValueHeadCount)
            let q = query + h * d
            for s in 0...t {
                let k = keys + s * kv + g * d
                var dot: Float = 0
                for i in 0..<d { dot += q[i] * k[i] }
                scores[s] = dot * scale
            }
            VectorMath.softmax(scores, count: t + 1)
            let head = out + h * d
            head.update(repeating: 0, count: d)
            for s in 0...t {
                let weight = scores[s], v = values + s * kv + g * d
                for i in 0..<d { head[i] += weight * v[i] }
            }
        }
    }
}
