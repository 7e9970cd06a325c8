import MoLACheckpoint
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
/// base gets gradients only when `trainBase` is set. Buffers are sized for `batch x time` tokens.
public final class LlamaModel {
    public let config: ModelConfig
    public let adapterSpec: AdapterSpec?
    public let batch: Int
    public let time: Int
    public let base: ParameterSet
    public let adapter: ParameterSet
    /// Whether the base weights receive gradients (pretraining) or stay frozen (fine-tuning).
    public var trainBase = false
    /// Worker threads: whole sequences are split between them (see `Lane`).
    public let threadCount: Int
    /// When set, each forward records every layer's routing decisions here.
    public var routingTap: RoutingTap?

    /// The workers; lane 0 shares the model's gradient buffers, the others sum into them.
    let lanes: [Lane]
    var lastCounted = 0
    var lastActiveLanes = 0
    var hasTargets = false

    /// A model with zero weights; call `initialise...` or load weights.
    ///
    /// - Parameters:
    ///   - batch, time: the largest batch of sequences and the sequence length it will run.
    ///   - threadCount: workers; each runs whole sequences with single-threaded BLAS.
    ///   - seed: dropout randomness (deterministic for a seed and thread count).
    /// - Throws: `ModelError` when the config or the adapter spec is inconsistent.
    public init(config: ModelConfig, adapter spec: AdapterSpec?, batch: Int, time: Int, threadCount: Int = 1, seed: UInt64 = 0) throws {
        try config.validate()
        try spec?.validate(for: config)
        guard batch > 0, time > 0 else { throw ModelError.invalidConfig("batch \(batch) x time \(time) must be positive") }
        self.config = config
        adapterSpec = spec
        self.batch = batch
        self.time = time
        let laneCount = max(1, min(threadCount, batch))
        self.threadCount = max(1, threadCount)
        // With one lane, BLAS itself uses the threads; with several, each lane runs single-threaded.
        LinearAlgebra.setBLASThreadCount(laneCount == 1 ? self.threadCount : 1)
        base = ParameterSet(blocks: Self.baseBlocks(config))
        var adapterBlocks: [(name: String, rows: Int, columns: Int)] = []
        var expertViews: [(name: String, view: ParameterSet.View)] = []
        if let spec {
            let layout = Lane(config: config, spec: spec, capacity: 0, time: time, base: base, adapter: ParameterSet(blocks: []),
                              rotary: RotaryTable(length: 0, dimension: 2, theta: 1), seed: 0)
            for projection in layout.projections.joined() where projection.experts > 0 { adapterBlocks += projection.adapterBlocks }
            let offsets = ParameterSet(blocks: adapterBlocks).views
            expertViews = layout.projections.joined().filter { $0.experts > 0 }.flatMap { $0.expertViews(in: offsets) }
        }
        adapter = ParameterSet(blocks: adapterBlocks, extraViews: expertViews)
        let rotary = RotaryTable(length: time, dimension: config.headDimension, theta: config.ropeTheta)
        let perLane = (batch + laneCount - 1) / laneCount
        var lanes: [Lane] = []
        for index in 0..<laneCount {
            lanes.append(Lane(config: config, spec: spec, capacity: perLane, time: time,
                              base: index == 0 ? base : ParameterSet(sharingValuesOf: base),
                              adapter: index == 0 ? adapter : ParameterSet(sharingValuesOf: adapter),
                              rotary: rotary, seed: seed &+ UInt64(index) &* 0x9E37_79B9))
        }
        self.lanes = lanes
    }

    /// Base parameter blocks with their Hugging Face names.
    static func baseBlocks(_ config: ModelConfig) -> [(name: String, rows: Int, columns: Int)] {
        var blocks: [(String, Int, Int)] = [("model.embed_tokens.weight", config.vocabularySize, config.hiddenSize)]
        for layer in 0..<config.layerCount {
            blocks.append(("model.layers.\(layer).input_layernorm.weight", 1, config.hiddenSize))
            for kind in ProjectionKind.allCases {
                let (input, output) = config.widths(kind)
                blocks.append(("model.layers.\(layer).\(kind.blockName).\(kind.checkpointName).weight", output, input))
            }
            blocks.append(("model.layers.\(layer).post_attention_layernorm.weight", 1, config.hiddenSize))
        }
        blocks.append(("model.norm.weight", 1, config.hiddenSize))
        if !config.tiedEmbeddings { blocks.append(("lm_head.weight", config.vocabularySize, config.hiddenSize)) }
        return blocks
    }

    public func zeroGradients() {
        for lane in lanes {
            lane.base.gradients.zero()
            lane.adapter.gradients.zero()
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
final class LayerActivations {
    let input, norm1, query, key, value, attention, middle, norm2, gate, up, activated: FloatBuffer
    let rstd1, rstd2: FloatBuffer
    let probabilities: FloatBuffer

    init(config: ModelConfig, batch: Int, time: Int) {
        let n = batch * time, c = config.hiddenSize, f = config.intermediateSize
        input = FloatBuffer(count: n * c); norm1 = FloatBuffer(count: n * c)
        query = FloatBuffer(count: n * c); key = FloatBuffer(count: n * config.keyValueWidth)
        value = FloatBuffer(count: n * config.keyValueWidth); attention = FloatBuffer(count: n * c)
        middle = FloatBuffer(count: n * c); norm2 = FloatBuffer(count: n * c)
        gate = FloatBuffer(count: n * f); up = FloatBuffer(count: n * f); activated = FloatBuffer(count: n * f)
        rstd1 = FloatBuffer(count: n); rstd2 = FloatBuffer(count: n)
        probabilities = FloatBuffer(count: batch * config.headCount * time * time)
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
