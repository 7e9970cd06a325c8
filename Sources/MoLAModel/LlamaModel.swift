import MoLACheckpoint
import MoLAFiles
import MoLATensor

/// A LLaMA-architecture decoder in Float32 with optional MoLA adapters, forward and backward.
///
/// ```
/// x = embed(tokens)                                     [N, C], N = B*T
/// for each layer:  h = rmsnorm(x);  q, k, v = MoLA projections of h;  rotate q, k
///                  x += o_proj(attention(q, k, v));  h = rmsnorm(x)
///                  x += down_proj(silu(gate_proj(h)) * up_proj(h))
/// logits = lm_head(rmsnorm(x))                          [N, V]
/// loss = cross-entropy(logits, targets) + coefficient * sum over layers of the balance term
/// ```
/// Base weights (Hugging Face names, e.g. `model.layers.0.self_attn.q_proj.weight`) and adapter
/// weights (`layers.0.q_proj.lora_A`, stacked over experts) live in two `ParameterSet`s; the
/// base gets gradients only when `trainBase` is set (its gradient buffers, the model's and each
/// lane's, are allocated by the first backward that writes them, so a fine-tune has none).
/// Buffers are sized for `batch x time` tokens.
public final class LlamaModel {
    public let config: ModelConfig
    public let adapterSpec: AdapterSpec?
    public let batch: Int
    public let time: Int
    public let base: ParameterSet
    public let adapter: ParameterSet
    /// Where each adapter parameter sits in `adapter`.
    let adapterLayout: AdapterLayout
    /// Whether the base weights receive gradients (pretraining) or stay frozen (fine-tuning).
    public var trainBase = false
    /// Worker threads: whole sequences are split between them (see `Lane`).
    public let threadCount: Int
    /// When set, each forward records every layer's routing decisions here.
    public var routingTap: RoutingTap?
    /// A GGUF base's quantized matrices (see `QuantizedBaseWeights`), read by one-token products
    /// while the base is not trained.
    public internal(set) var quantizedBase: QuantizedBaseWeights?

    /// The workers; lane 0 shares the model's gradient buffers, the others sum into them.
    let lanes: [Lane]
    var lastCounted = 0
    var lastActiveLanes = 0
    var hasTargets = false
    /// Whether a backward has overwritten the last forward's logits with their gradient.
    var logitsHoldGradients = false

    /// A model with zero weights; call `initialise...` or load weights.
    ///
    /// - Parameters:
    ///   - batch, time: the largest batch of sequences and the sequence length it will run.
    ///   - threadCount: workers; each runs whole sequences with single-threaded BLAS.
    ///   - seed: dropout randomness (deterministic for a seed and thread count).
    ///   - sharedBase: another model of the same config whose base weights (and a GGUF base's
    ///     quantized matrices) this one reads instead of holding a copy: a second model beside a
    ///     trainer (`continual` scores with one). Neither may train the base.
    /// - Throws: `ModelError` when the config or the adapter spec is inconsistent.
    public init(config: ModelConfig, adapter spec: AdapterSpec?, batch: Int, time: Int, threadCount: Int = 1, seed: UInt64 = 0,
                sharingBaseOf sharedBase: LlamaModel? = nil) throws {
        try config.validate()
        try spec?.validate(for: config)
        guard batch > 0, time > 0 else { throw ModelError.invalidConfig("batch \(batch) x time \(time) must be positive") }
        if let sharedBase {
            precondition(sharedBase.config == config && !sharedBase.trainBase,
                         "LlamaModel: a shared base needs the same config and a base that is not trained")
        }
        try Self.memoryRequirement(config: config, adapter: spec, batch: batch, time: time, threadCount: threadCount,
                                   holdingBase: sharedBase == nil)
            .require(for: "the model with buffers for \(batch) sequence\(batch == 1 ? "" : "s") of \(time) tokens")
        self.config = config
        adapterSpec = spec
        self.batch = batch
        self.time = time
        let laneCount = max(1, min(threadCount, batch))
        self.threadCount = max(1, threadCount)
        // With one lane, BLAS itself uses the threads; with several, each lane runs single-threaded.
        LinearAlgebra.setBLASThreadCount(laneCount == 1 ? self.threadCount : 1)
        base = sharedBase.map { ParameterSet(sharingValuesOf: $0.base) } ?? ParameterSet(blocks: BaseWeights.blocks(config))
        quantizedBase = sharedBase?.quantizedBase
        adapterLayout = AdapterLayout(config: config, spec: spec)
        adapter = adapterLayout.parameterSet()
        let stack = DecoderStack(config: config, weights: BaseWeights(resolving: base, config: config))
        let rotary = RotaryTable(length: time, dimension: config.headDimension, theta: config.ropeTheta)
        let perLane = (batch + laneCount - 1) / laneCount
        var lanes: [Lane] = []
        for index in 0..<laneCount {
            lanes.append(Lane(stack: stack, layout: adapterLayout, capacity: perLane, time: time,
                              base: index == 0 ? base : ParameterSet(sharingValuesOf: base),
                              adapter: index == 0 ? adapter : ParameterSet(sharingValuesOf: adapter),
                              rotary: rotary, seed: seed &+ UInt64(index) &* 0x9E37_79B9))
        }
        self.lanes = lanes
    }

    public func zeroGradients() {
        for lane in lanes {
            lane.base.zeroGradients()
            lane.adapter.zeroGradients()
        }
    }

    /// Each lane's dropout generator state, to save and restore with a training run.
    public var randomStates: [UInt64] {
        get { lanes.map(\.random.state) }
        set {
            precondition(newValue.count == lanes.count, "randomStates: \(newValue.count) states for \(lanes.count) lanes")
            for (lane, state) in zip(lanes, newValue) { lane.random.state = state }
        }
    }

    /// The projection `kind` of `layer` (lane 0's; every lane has the same structure).
    func projection(_ layer: Int, _ kind: ProjectionKind) -> MoLALinear { lanes[0].projection(layer, kind) }
}

/// What one layer's forward keeps for its backward. Sizes in the legend of `LlamaModel`.
///
/// The norms' outputs and SwiGLU's are cheap to recompute from what is kept (`input`, `middle`
/// and their `rstd`; `gate` and `up`), so every layer of a lane writes them into the same two
/// buffers (`SharedActivations`) and the backward recomputes them: 2 C + F fewer floats per token
/// and layer (on SmolLM2-135M's shape 30% of the activations).
final class LayerActivations {
    let input, query, key, value, attention, middle, gate, up: FloatBuffer
    let rstd1, rstd2: FloatBuffer
    let probabilities: FloatBuffer
    /// Shared by every layer of the lane: valid only right after this layer's forward, or once
    /// the backward has recomputed them.
    let norm1, norm2, activated: FloatBuffer

    init(config: ModelConfig, batch: Int, time: Int, shared: SharedActivations) {
        let n = batch * time, c = config.hiddenSize, f = config.intermediateSize
        input = FloatBuffer(count: n * c)
        query = FloatBuffer(count: n * c); key = FloatBuffer(count: n * config.keyValueWidth)
        value = FloatBuffer(count: n * config.keyValueWidth); attention = FloatBuffer(count: n * c)
        middle = FloatBuffer(count: n * c)
        gate = FloatBuffer(count: n * f); up = FloatBuffer(count: n * f)
        rstd1 = FloatBuffer(count: n); rstd2 = FloatBuffer(count: n)
        probabilities = FloatBuffer(count: batch * config.headCount * time * time)
        norm1 = shared.norm; norm2 = shared.norm; activated = shared.activated
    }

    /// This layer's buffers for `DecoderLayer.forward`, writing into `output` (the next layer's input).
    func buffers(output: FloatBuffer) -> LayerBuffers {
        LayerBuffers(input: input.pointer, norm1: norm1.pointer, query: query.pointer, key: key.pointer, value: value.pointer,
                     attention: attention.pointer, middle: middle.pointer, norm2: norm2.pointer, gate: gate.pointer,
                     up: up.pointer, activated: activated.pointer, output: output.pointer,
                     rstd1: rstd1.pointer, rstd2: rstd2.pointer)
    }
}

/// The buffers every layer of a lane shares for what its backward recomputes: a norm's output
/// [N, C] (the forward is done with norm1 before it writes norm2) and SwiGLU's output [N, F].
final class SharedActivations {
    let norm, activated: FloatBuffer

    init(config: ModelConfig, count: Int) {
        norm = FloatBuffer(count: count * config.hiddenSize)
        activated = FloatBuffer(count: count * config.intermediateSize)
    }
}

final class FinalActivations {
    let input, norm, logits: FloatBuffer
    let rstd: FloatBuffer

    init(config: ModelConfig, count: Int) {
        input = FloatBuffer(count: count * config.hiddenSize)
        norm = FloatBuffer(count: count * config.hiddenSize)
        logits = FloatBuffer(count: count * config.vocabularySize)
        rstd = FloatBuffer(count: count)
    }
}
