import MoLACheckpoint

/// Where every adapter parameter of a model sits, known from the config and the adapter spec
/// before any buffer exists: each projection's `ProjectionLayout` and each layer's feed-forward
/// experts (MixLoRA). `LlamaModel` and `LayerwiseModel` lay out their adapter set from it, build
/// their layers on that set, and load checkpoints into it.
///
/// ```
/// layers.{l}.{proj}.lora_A   [E R, Cin]     layers.{l}.{proj}.lora_B   [Cout, E R]
/// layers.{l}.{proj}.router   [E, Cin]       a projection routed on its own
/// layers.{l}.mlp.router      [E, C]         a layer's feed-forward experts' router (MixLoRA)
/// ```
struct AdapterLayout {
    /// [layer][kind.rawValue].
    let projections: [[ProjectionLayout]]
    /// Per layer, its feed-forward experts; nil where its MLP is not routed as one block.
    let feedForwardExperts: [FeedForwardExpertsLayout?]
    /// Where the spec's routers sit (`.projection` without an adapter).
    let routerScope: RouterScope

    init(config: ModelConfig, spec: AdapterSpec?) {
        projections = ProjectionLayout.all(config: config, spec: spec)
        feedForwardExperts = (0..<config.layerCount).map { layer in
            spec?.feedForwardExperts(layer: layer).map { experts in
                FeedForwardExpertsLayout(layer: layer, experts: experts, topK: spec!.topK[layer], hiddenSize: config.hiddenSize)
            }
        }
        routerScope = spec?.routerScope ?? .projection
    }

    /// An adapter set laid out for it (zero): every block, and each expert's views of A and B.
    func parameterSet() -> ParameterSet {
        let blocks = projections.joined().flatMap(\.adapterBlocks) + feedForwardExperts.compactMap { $0?.adapterBlock }
        let offsets = ParameterSet(blocks: blocks).views
        return ParameterSet(blocks: blocks, extraViews: projections.joined().flatMap { $0.expertViews(in: offsets) })
    }

    /// One worker's layers on `base` and `adapter` (laid out by `parameterSet()`), with caches for
    /// `capacity` tokens: the projections, [layer][kind.rawValue], and each layer's feed-forward experts.
    func layers(capacity: Int, base: ParameterSet, adapter: ParameterSet) -> (projections: [[MoLALinear]], feedForwardExperts: [FeedForwardExperts?]) {
        let linears = projections.map { $0.map { MoLALinear($0, capacity: capacity, base: base, adapter: adapter) } }
        let experts = feedForwardExperts.map { layout in
            layout.map { FeedForwardExperts($0, projections: projections[$0.layer], capacity: capacity, base: base, adapter: adapter) }
        }
        return (linears, experts)
    }
}

/// A layer's feed-forward experts (MixLoRA): how many, how many each token chooses, and their
/// router's block in the adapter set.
struct FeedForwardExpertsLayout {
    let layer: Int
    let experts: Int
    let topK: Int
    /// `C`, the width of the router's rows (the block's input).
    let hiddenSize: Int

    var routerName: String { AdapterViewName.feedForwardRouter(layer: layer) }
    var adapterBlock: (name: String, rows: Int, columns: Int) { (routerName, experts, hiddenSize) }
}
