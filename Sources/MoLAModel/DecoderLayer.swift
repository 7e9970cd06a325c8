import MoLACheckpoint
import MoLATensor

/// The steps of a decoder layer that differ between the training lanes (whole sequences at
/// once, keeping what the backward needs) and the key/value-cache generator (one token,
/// attending to the cached ones). Everything else in the layer is `DecoderLayer.forward`.
protocol DecoderLayerSteps {
    /// `y = x W^T` (plus the adapter) of projection `kind` of this layer, over the layer's rows.
    func project(_ kind: ProjectionKind, _ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>)
    /// Rotates q ([N, H D]) and k ([N, Hk D]) in place by each row's position.
    func rotate(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>)
    /// `out = causal attention(q, k, v)`, [N, H D].
    func attend(query: UnsafeMutablePointer<Float>, key: UnsafeMutablePointer<Float>, value: UnsafeMutablePointer<Float>,
                into out: UnsafeMutablePointer<Float>)
    /// This layer's feed-forward experts (MoE-PEFT MixLoRA) in place of its MLP: `b.output` =
    /// their mixture of `b.norm2` over the layer's rows (`FeedForwardExperts.forward`, with
    /// `b.gate`, `b.up`, `b.activated` as its work space), or with `routeOnly` their router's
    /// decisions alone. Returns false, doing nothing, where the MLP is gate, up and down projections.
    func runFeedForwardExperts(_ b: LayerBuffers, routeOnly: Bool) -> Bool
}

/// The buffers one layer's forward reads and writes. Legend: N rows, C hidden, Ckv key/value
/// width, F intermediate.
///
/// `input`, `query`, `attention`, `middle`, `norm1`, `norm2`, `output` are [N, C]; `key`,
/// `value` [N, Ckv]; `gate`, `up`, `activated` [N, F]; `rstd1`, `rstd2` [N]. The lanes keep
/// each in its own buffer for the backward; the generator may reuse one buffer for both norms
/// and write `output` over `input` (read for the last time by the first residual).
struct LayerBuffers {
    var input, norm1, query, key, value, attention, middle, norm2, gate, up, activated, output: UnsafeMutablePointer<Float>
    var rstd1, rstd2: UnsafeMutablePointer<Float>
}

/// One LLaMA decoder layer's forward, written once for the lanes and the generator.
///
/// ```
/// x is [N, C]
/// h = rmsnorm(x) * w1;  q, k, v = projections of h;  rotate q, k
/// m = x + o_proj(attention(q, k, v))
/// h = rmsnorm(m) * w2;  out = m + down_proj(silu(gate_proj(h)) * up_proj(h))
///                      (or out = m + sum_{e in top-K} w_e FFN_e(h), MixLoRA's `FeedForwardExperts`)
/// ```
struct DecoderLayer {
    let weights: BaseWeights.Layer
    let hiddenSize: Int
    let intermediateSize: Int
    let epsilon: Float

    /// Runs the layer on `count` rows of `buffers.input` into `buffers.output`.
    ///
    /// - Parameter stopBeforeDown: stops once `activated` (the down projection's input) is
    ///   written, for a routing pass that reads only the last down projection's routing; a layer
    ///   of feed-forward experts stops once their router has routed.
    @inline(__always)
    func forward<Steps: DecoderLayerSteps>(_ b: LayerBuffers, count: Int, base: ParameterSet, steps: Steps,
                                           stopBeforeDown: Bool = false) {
        let c = hiddenSize
        RMSNorm.forward(b.input, weight: base.values(weights.inputNorm), out: b.norm1, rstd: b.rstd1,
                        count: count, channels: c, epsilon: epsilon)
        steps.project(.query, b.norm1, into: b.query)
        steps.project(.key, b.norm1, into: b.key)
        steps.project(.value, b.norm1, into: b.value)
        steps.rotate(query: b.query, key: b.key)
        steps.attend(query: b.query, key: b.key, value: b.value, into: b.attention)
        steps.project(.output, b.attention, into: b.middle)
        for i in 0..<(count * c) { b.middle[i] += b.input[i] }
        RMSNorm.forward(b.middle, weight: base.values(weights.postAttentionNorm), out: b.norm2, rstd: b.rstd2,
                        count: count, channels: c, epsilon: epsilon)
        if steps.runFeedForwardExperts(b, routeOnly: stopBeforeDown) {
            guard !stopBeforeDown else { return }
        } else {
            steps.project(.gate, b.norm2, into: b.gate)
            steps.project(.up, b.norm2, into: b.up)
            SwiGLU.forward(gate: b.gate, up: b.up, out: b.activated, count: count * intermediateSize)
            guard !stopBeforeDown else { return }
            steps.project(.down, b.activated, into: b.output)
        }
        for i in 0..<(count * c) { b.output[i] += b.middle[i] }
    }
}

/// The whole decoder's shared parts: its layers, and the embedding before them and the norm
/// and LM head after them.
///
/// ```
/// x = embed(tokens)  [N, C];  x = layer_l(x) for each layer;  logits = rmsnorm(x) W_head^T  [N, V]
/// ```
struct DecoderStack {
    let config: ModelConfig
    let weights: BaseWeights
    let layers: [DecoderLayer]

    init(config: ModelConfig, weights: BaseWeights) {
        self.config = config
        self.weights = weights
        let epsilon = Float(config.rmsNormEpsilon)
        layers = weights.layers.map {
            DecoderLayer(weights: $0, hiddenSize: config.hiddenSize, intermediateSize: config.intermediateSize, epsilon: epsilon)
        }
    }

    /// `out[n] = embedding[tokens[n]]`, [N, C].
    func embed(_ tokens: [Int], base: ParameterSet, into out: UnsafeMutablePointer<Float>) {
        Embedding.forward(tokens: tokens, table: base.values(weights.embedding), out: out, channels: config.hiddenSize)
    }

    /// `norm = rmsnorm(x) * w` ([N, C], 1/rms in `rstd`), then `logits = norm W_head^T`, [N, V].
    ///
    /// - Parameter oneToken: the head quantized, read when `count` is 1.
    func logits(_ x: UnsafeMutablePointer<Float>, count: Int, base: ParameterSet, norm: UnsafeMutablePointer<Float>,
                rstd: UnsafeMutablePointer<Float>, into logits: UnsafeMutablePointer<Float>, oneToken: OneTokenProduct? = nil) {
        RMSNorm.forward(x, weight: base.values(weights.finalNorm), out: norm, rstd: rstd, count: count,
                        channels: config.hiddenSize, epsilon: Float(config.rmsNormEpsilon))
        if count == 1, let oneToken {
            oneToken.weights.multiply(norm, into: logits, threads: oneToken.threads)
        } else {
            LinearAlgebra.multiply(norm, base.values(weights.head), transposeB: true, into: logits,
                                   m: count, n: config.vocabularySize, k: config.hiddenSize)
        }
    }
}
