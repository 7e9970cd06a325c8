import MoLACheckpoint
import MoLAFiles
import MoLATensor

/// Generation with a key/value cache: the prompt goes in as chunks of up to `chunkCapacity`
/// tokens (one product per projection for the whole chunk), then each new token alone, each
/// attending to the cached keys and values of the tokens before it, so a prompt of n tokens and
/// m new tokens cost about n / chunk + m passes instead of m full ones.
///
/// ```
/// per layer, for the chunk's rows at positions t0 ..< t0 + n:
///   k_t, v_t appended to the cache [t0 + n, Hk * D]
///   out_{t,h} = sum_{s <= t} softmax_s(q_{t,h} . k_s / sqrt(D)) v_s   (head h reads group h / (H / Hk))
/// ```
/// Uses the model's weights and lane 0's projections (their caches are overwritten).
public final class KeyValueCacheGenerator {
    public let model: LlamaModel
    /// The longest sequence the cache holds (the model's length).
    public let capacity: Int
    /// The most tokens one pass takes: prompts longer than this go in as several chunks.
    public let chunkCapacity: Int
    public private(set) var length = 0
    /// Per layer, the keys and values of every position so far, [capacity, Hk * D].
    fileprivate let keys: [FloatBuffer]
    fileprivate let values: [FloatBuffer]
    /// A chunk's activations, [chunk, width], reused by every layer: the norms share `norm`, the
    /// layer's output overwrites `x`.
    private let x, norm, query, key, value, attention, middle, gate, up, activated, rstd: FloatBuffer
    /// Attention weights of one row and head over the cached positions, [capacity].
    fileprivate let scores: FloatBuffer
    private let logitsBuffer: FloatBuffer
    fileprivate let rotary: RotaryTable
    private let stack: DecoderStack
    fileprivate let scratch = Scratch()

    /// - Parameter chunkCapacity: the most prompt tokens per pass (at most the model's length).
    /// - Throws: `MemoryError` when the cache for the model's length does not fit the machine.
    public init(model: LlamaModel, chunkCapacity: Int = 128) throws {
        self.model = model
        let config = model.config
        let chunk = max(1, min(chunkCapacity, model.time))
        try Self.memoryRequirement(config: config, length: model.time, chunk: chunk)
            .require(for: "the key/value cache for \(model.time) tokens")
        capacity = model.time
        self.chunkCapacity = chunk
        keys = (0..<config.layerCount).map { _ in FloatBuffer(count: model.time * config.keyValueWidth) }
        values = (0..<config.layerCount).map { _ in FloatBuffer(count: model.time * config.keyValueWidth) }
        x = FloatBuffer(count: chunk * config.hiddenSize); norm = FloatBuffer(count: chunk * config.hiddenSize)
        query = FloatBuffer(count: chunk * config.hiddenSize); key = FloatBuffer(count: chunk * config.keyValueWidth)
        value = FloatBuffer(count: chunk * config.keyValueWidth); attention = FloatBuffer(count: chunk * config.hiddenSize)
        middle = FloatBuffer(count: chunk * config.hiddenSize); gate = FloatBuffer(count: chunk * config.intermediateSize)
        up = FloatBuffer(count: chunk * config.intermediateSize); activated = FloatBuffer(count: chunk * config.intermediateSize)
        rstd = FloatBuffer(count: chunk)
        scores = FloatBuffer(count: model.time)
        logitsBuffer = FloatBuffer(count: config.vocabularySize)
        rotary = RotaryTable(length: model.time, dimension: config.headDimension, theta: config.ropeTheta)
        stack = model.lanes[0].stack
    }

    /// The cache's keys and values, `2 L T Ckv` floats, and one chunk's activations.
    public static func memoryRequirement(config: ModelConfig, length: Int, chunk: Int = 1) -> MemoryEstimate {
        var estimate = MemoryEstimate()
        estimate.add(2, config.layerCount, length, config.keyValueHeadCount, config.headDimension)
        estimate.add(length)
        estimate.add(config.vocabularySize)
        estimate.add(6, chunk, config.hiddenSize)
        estimate.add(3, chunk, config.intermediateSize)
        return estimate
    }

    /// Forgets every cached token.
    public func reset() { length = 0 }

    /// Feeds one token; returns the logits for the next one.
    ///
    /// - Throws: `ModelError.tokenOutOfRange`, `.invalidConfig` when the cache is full.
    @discardableResult
    public func step(_ token: Int) throws -> UnsafeBufferPointer<Float> {
        try feed([token])
    }

    /// Feeds `tokens` (in chunks of at most `chunkCapacity`); returns the logits after the last.
    ///
    /// - Throws: `ModelError.tokenOutOfRange`, `.invalidConfig` when the cache cannot hold them all.
    @discardableResult
    public func feed(_ tokens: [Int]) throws -> UnsafeBufferPointer<Float> {
        let config = model.config
        precondition(!tokens.isEmpty, "KeyValueCacheGenerator.feed: no tokens")
        for (offset, token) in tokens.enumerated() where token < 0 || token >= config.vocabularySize {
            throw ModelError.tokenOutOfRange(token: token, position: length + offset, vocabularySize: config.vocabularySize)
        }
        guard length + tokens.count <= capacity else {
            throw ModelError.invalidConfig("the sequence is longer than the model's \(capacity) positions")
        }
        var start = 0
        while start < tokens.count {
            let chunk = Array(tokens[start..<min(start + chunkCapacity, tokens.count)])
            run(chunk)
            start += chunk.count
        }
        return UnsafeBufferPointer(start: logitsBuffer.pointer, count: config.vocabularySize)
    }

    /// One pass over `chunk` at positions `length ..< length + count`: the cache extended, the
    /// logits of its last row written.
    private func run(_ chunk: [Int]) {
        let count = chunk.count, c = model.config.hiddenSize
        let buffers = LayerBuffers(input: x.pointer, norm1: norm.pointer, query: query.pointer, key: key.pointer, value: value.pointer,
                                   attention: attention.pointer, middle: middle.pointer, norm2: norm.pointer, gate: gate.pointer,
                                   up: up.pointer, activated: activated.pointer, output: x.pointer,
                                   rstd1: rstd.pointer, rstd2: rstd.pointer)
        stack.embed(chunk, base: model.base, into: x.pointer)
        for (layer, decoderLayer) in stack.layers.enumerated() {
            decoderLayer.forward(buffers, count: count, base: model.base, steps: CachedSteps(generator: self, layer: layer, count: count))
        }
        stack.logits(x.pointer + (count - 1) * c, count: 1, base: model.base, norm: norm.pointer, rstd: rstd.pointer,
                     into: logitsBuffer.pointer, oneToken: oneToken(model.quantizedBase?.head ?? nil))
        length += count
    }

    fileprivate func project(_ layer: Int, _ kind: ProjectionKind, _ input: UnsafeMutablePointer<Float>,
                             _ output: UnsafeMutablePointer<Float>, count: Int) {
        model.projection(layer, kind).forwardWithoutBackward(input, count: count, base: model.base, adapter: model.adapter,
                                                             out: output, scratch: scratch,
                                                             oneToken: oneToken(model.quantizedBase?.projections[layer][kind.rawValue] ?? nil))
    }

    /// A quantized base matrix for one-token products, unless the base is trained (its Float32
    /// copy would then have moved away from the file's values).
    private func oneToken(_ weights: QuantizedMatrix?) -> OneTokenProduct? {
        guard !model.trainBase, let weights else { return nil }
        return OneTokenProduct(weights: weights, threads: model.threadCount)
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
        guard !prompt.isEmpty else { return [] }
        var logits = try feed(prompt)
        var generated: [Int] = []
        while generated.count < maxNewTokens {
            let next = sampler.next(logits)
            generated.append(next)
            try onToken(next)
            if stop.contains(next) || length == capacity { break }
            logits = try step(next)
        }
        return generated
    }
}

/// The generator's steps of a decoder layer: `count` rows at positions `length ..< length + count`,
/// their keys and values appended to the layer's cache, each row attending to every cached
/// position up to its own.
///
/// ```
/// q is [N, H D], k and v are [N, Hk D]; the cache holds k_s, v_s for s < length + N
/// out_{n,h} = sum_{s <= length + n} softmax_s(q_{n,h} . k_s / sqrt(D)) v_s   (head h reads group h / (H / Hk))
/// ```
private struct CachedSteps: DecoderLayerSteps {
    let generator: KeyValueCacheGenerator
    let layer: Int
    let count: Int

    func project(_ kind: ProjectionKind, _ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        generator.project(layer, kind, x, y, count: count)
    }

    func rotate(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>) {
        let config = generator.model.config
        for row in 0..<count {
            generator.rotary.apply(row: query + row * config.hiddenSize, position: generator.length + row, heads: config.headCount)
            generator.rotary.apply(row: key + row * config.keyValueWidth, position: generator.length + row, heads: config.keyValueHeadCount)
        }
    }

    /// Lane 0's feed-forward experts on the model's weights (their base products in Float32: a
    /// quantized base's one-token products serve the projections only).
    func runFeedForwardExperts(_ b: LayerBuffers, routeOnly: Bool) -> Bool {
        let model = generator.model
        guard let experts = model.lanes[0].feedForwardExperts[layer] else { return false }
        experts.run(b, count: count, base: model.base, adapter: model.adapter, scratch: generator.scratch, routeOnly: routeOnly)
        return true
    }

    func attend(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>, value: UnsafeMutablePointer<Float>,
                into out: UnsafeMutablePointer<Float>) {
        let config = generator.model.config
        let kv = config.keyValueWidth, d = config.headDimension, c = config.hiddenSize, start = generator.length
        let keys = generator.keys[layer].pointer, values = generator.values[layer].pointer, scores = generator.scores.pointer
        (keys + start * kv).update(from: key, count: count * kv)
        (values + start * kv).update(from: value, count: count * kv)
        let scale = 1 / Float(d).squareRoot()
        for row in 0..<count {
            let last = start + row
            for h in 0..<config.headCount {
                let g = h / (config.headCount / config.keyValueHeadCount)
                let q = query + row * c + h * d
                for s in 0...last {
                    let k = keys + s * kv + g * d
                    var dot: Float = 0
                    for i in 0..<d { dot += q[i] * k[i] }
                    scores[s] = dot * scale
                }
                VectorMath.softmax(scores, count: last + 1)
                let head = out + row * c + h * d
                head.update(repeating: 0, count: d)
                for s in 0...last {
                    let weight = scores[s], v = values + s * kv + g * d
                    for i in 0..<d { head[i] += weight * v[i] }
                }
            }
        }
    }
}
