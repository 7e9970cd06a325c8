import MoLACheckpoint
import MoLAFiles

extension ModelConfig {
    /// The base's weights (one float32 buffer; gradients come on top only when the base is
    /// trained, see `LlamaModel.memoryRequirement`): what a `config.json` alone commits to.
    ///
    /// ```
    /// weights = V C (embedding) + V C (head, unless tied) + C (final norm)
    ///         + L (2 C + 2 C C + 2 C Ckv + 3 C F)        per layer: norms, q o, k v, gate up down
    /// bytes   = 4 * weights                              float32
    /// ```
    public var weightMemory: MemoryEstimate {
        var estimate = MemoryEstimate()
        estimate.add(vocabularySize, hiddenSize)
        if !tiedEmbeddings { estimate.add(vocabularySize, hiddenSize) }
        estimate.add(hiddenSize)
        var layer = MemoryEstimate()
        layer.add(2, hiddenSize)
        layer.add(2, hiddenSize, hiddenSize)
        layer.add(2, hiddenSize, keyValueHeadCount, headCount > 0 ? hiddenSize / headCount : 0)
        layer.add(3, hiddenSize, intermediateSize)
        estimate.add(layer.repeated(layerCount))
        return estimate
    }
}

extension LlamaModel {
    /// What `init(config:adapter:batch:time:threadCount:)` allocates, and what a training step
    /// adds in scratch, for `batch` sequences of `time` tokens on `threadCount` lanes; with
    /// `trainBase`, the base's gradients too (one buffer per lane, allocated by the first backward);
    /// without `holdingBase`, not the base's values (a model reading another's).
    ///
    /// ```
    /// parameters   base values (+ lanes gradient buffers when trainBase);
    ///              adapter values, gradients, and one more gradient buffer per extra lane
    /// per lane     n = ceil(B / lanes) * T tokens
    ///   per layer  n (4 C + 2 Ckv + 2 F + 2) activations + (B / lanes) H T T attention probabilities
    ///              + each adapted projection's caches: n (E + 2 K + 2 E R (+ 2 Cin with dropout)),
    ///              a feed-forward experts' block router's (MixLoRA) n (E + 2 K)
    ///   shared     n (C + F), the norms' and SwiGLU's outputs every layer recomputes into
    ///   final      n (2 C + V + 1);  backward scratch n (5 C + 3 F + 2 Ckv + 2 E R) (dlogits overwrite the logits)
    /// ```
    public static func memoryRequirement(config: ModelConfig, adapter spec: AdapterSpec?, batch: Int, time: Int,
                                         threadCount: Int, trainBase: Bool = false, holdingBase: Bool = true) -> MemoryEstimate {
        let lanes = max(1, min(threadCount, batch))
        let perLane = (batch + lanes - 1) / lanes
        let c = config.hiddenSize, f = config.intermediateSize, v = config.vocabularySize
        let headDimension = config.headCount > 0 ? c / config.headCount : 0
        var estimate = MemoryEstimate()
        // Base: values, and each lane's gradients when it is trained.
        estimate.add(config.weightMemory.repeated((holdingBase ? 1 : 0) + (trainBase ? lanes : 0)))
        // Adapter: its weights (values, lane 0's gradients, the other lanes' gradients); per token,
        // each projection's caches; the widest E R for the backward's scratch.
        var adapterWeights = MemoryEstimate(), caches = MemoryEstimate(), widest = MemoryEstimate()
        if let spec {
            for layer in 0..<min(spec.expertsPerLayer.count, config.layerCount) {
                let rank = spec.ranks[layer]
                for kind in spec.projections {
                    let experts = spec.experts(layer: layer, kind), topK = experts == 1 ? 1 : spec.topK[layer]
                    let (input, output) = config.widths(kind)
                    adapterWeights.add(experts, rank, input)
                    adapterWeights.add(output, experts, rank)
                    if spec.hasProjectionRouter(layer: layer, kind) { adapterWeights.add(experts, input) }
                    // Feed-forward experts' projections keep no caches: their block routes and runs them.
                    guard !spec.isFeedForwardExpertProjection(layer: layer, kind) else { continue }
                    caches.add(experts)
                    caches.add(2, topK)
                    caches.add(2, experts, rank)
                    if spec.dropout > 0 { caches.add(2, input) }
                    var width = MemoryEstimate()
                    width.add(2, experts, rank)
                    if !width.fits(in: widest.bytes) { widest = width }
                }
                if let experts = spec.feedForwardExperts(layer: layer) {
                    adapterWeights.add(experts, c)
                    caches.add(experts)
                    caches.add(2, spec.topK[layer])
                }
            }
        }
        estimate.add(adapterWeights.repeated(lanes + 1))
        // One lane's n = ceil(B / lanes) T tokens.
        let (n, overflow) = perLane.multipliedReportingOverflow(by: time)
        guard !overflow else { estimate.add(Int.max, 2); return estimate }
        var layer = MemoryEstimate()
        layer.add(n, 4, c)
        layer.add(n, 2, config.keyValueHeadCount, headDimension)
        layer.add(n, 2, f)
        layer.add(n, 2)
        layer.add(perLane, config.headCount, time, time)
        var lane = layer.repeated(config.layerCount)
        lane.add(caches.repeated(n))
        lane.add(n, c + f)
        lane.add(n, 2, c)
        lane.add(n, v)
        lane.add(n)
        lane.add(n, 5, c)
        lane.add(n, 3, f)
        lane.add(n, 2, config.keyValueHeadCount, headDimension)
        lane.add(widest.repeated(n))
        estimate.add(lane.repeated(lanes))
        return estimate
    }
}
