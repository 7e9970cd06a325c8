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
    /// Worker threads for BLAS and attention.
    public var threadCount: Int { didSet { LinearAlgebra.setBLASThreadCount(threadCount) } }
    /// When set, each forward records every layer's routing decisions here.
    public var routingTap: RoutingTap?

    let projections: [[MoLALinear]]   // [layer][projection], all seven per layer
    let rotary: RotaryTable
    let activations: [LayerActivations]
    let final: FinalActivations
    let scratch = Scratch()
    var random: SplitMix
    var lastTokens: [Int] = []
    var lastTargets: [Int] = []
    var lastCount = 0
    /// Per layer, dLoss/dP of the balance term (one value per expert), from the last forward.
    var balanceGradients: [[Float]?] = []

    /// A model with zero weights; call `initialise...` or load weights.
    ///
    /// - Throws: `ModelError` when the config or the adapter spec is inconsistent.
    public init(config: ModelConfig, adapter spec: AdapterSpec?, batch: Int, time: Int, threadCount: Int = 1, seed: UInt64 = 0) throws {
        try config.validate()
        try spec?.validate(for: config)
        guard batch > 0, time > 0 else { throw ModelError.invalidConfig("batch \(batch) x time \(time) must be positive") }
        self.config = config
        adapterSpec = spec
        self.batch = batch
        self.time = time
        self.threadCount = threadCount
        LinearAlgebra.setBLASThreadCount(threadCount)
        random = SplitMix(seed: seed)
        let capacity = batch * time
        var projections: [[MoLALinear]] = []
        for layer in 0..<config.layerCount {
            projections.append(ProjectionKind.allCases.map { kind in
                let (input, output) = config.widths(kind)
                let adapted = spec?.projections.contains(kind) ?? false
                return MoLALinear(layer: layer, kind: kind, inputWidth: input, outputWidth: output,
                                  experts: adapted ? spec!.expertsPerLayer[layer] : 0, rank: adapted ? spec!.ranks[layer] : 0,
                                  topK: adapted ? spec!.topK[layer] : 0, scale: adapted ? spec!.scale(layer: layer) : 0,
                                  dropout: adapted ? Float(spec!.dropout) : 0, capacity: adapted ? capacity : 0)
            })
        }
        self.projections = projections
        base = ParameterSet(blocks: Self.baseBlocks(config))
        var adapterBlocks: [(name: String, rows: Int, columns: Int)] = []
        for projection in projections.joined() where projection.experts > 0 { adapterBlocks += projection.adapterBlocks }
        let layout = ParameterSet(blocks: adapterBlocks)
        let expertViews = projections.joined().filter { $0.experts > 0 }.flatMap { $0.expertViews(in: layout.views) }
        adapter = ParameterSet(blocks: adapterBlocks, extraViews: expertViews)
        rotary = RotaryTable(length: time, dimension: config.headDimension, theta: config.ropeTheta)
        activations = (0..<config.layerCount).map { _ in LayerActivations(config: config, batch: batch, time: time) }
        final = FinalActivations(config: config, count: capacity)
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

    /// The LM head's weight: its own, or the embedding when tied.
    var headName: String { config.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight" }

    public func zeroGradients() {
        base.gradients.zero()
        adapter.gradients.zero()
    }

    /// The projection `kind` of `layer`.
    func projection(_ layer: Int, _ kind: ProjectionKind) -> MoLALinear { projections[layer][kind.rawValue] }
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
