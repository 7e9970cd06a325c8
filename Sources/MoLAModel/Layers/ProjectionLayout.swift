import MoLACheckpoint
import MoLATensor

/// Where one projection sits and the shape of its adapter, known from the config and the
/// adapter spec before any buffer exists: the model lays out its adapter set from these, then
/// builds each lane's `MoLALinear`s on that set.
///
/// ```
/// A (every expert stacked) is [E R, Cin];  B (side by side) is [Cout, E R];  router is [E, Cin]
/// ```
struct ProjectionLayout {
    let layer: Int
    let kind: ProjectionKind
    let inputWidth: Int
    let outputWidth: Int
    /// 0 when the spec does not adapt this projection.
    let experts: Int
    /// Whether its experts are its layer's feed-forward experts' LoRA (MixLoRA's gate, up, down):
    /// no router of its own, run only by `FeedForwardExperts`.
    let inFeedForwardExperts: Bool
    let rank: Int
    let topK: Int
    /// `alpha / r`.
    let scale: Float
    let dropout: Float

    /// Every projection of a model, [layer][kind.rawValue].
    static func all(config: ModelConfig, spec: AdapterSpec?) -> [[ProjectionLayout]] {
        (0..<config.layerCount).map { layer in
            ProjectionKind.allCases.map { kind in
                let (input, output) = config.widths(kind)
                guard let spec, spec.projections.contains(kind) else {
                    return ProjectionLayout(layer: layer, kind: kind, inputWidth: input, outputWidth: output, experts: 0,
                                            inFeedForwardExperts: false, rank: 0, topK: 0, scale: 0, dropout: 0)
                }
                return ProjectionLayout(layer: layer, kind: kind, inputWidth: input, outputWidth: output,
                                        experts: spec.experts(layer: layer, kind),
                                        inFeedForwardExperts: spec.isFeedForwardExpertProjection(layer: layer, kind), rank: spec.ranks[layer],
                                        topK: spec.plainProjections.contains(kind) ? 1 : spec.topK[layer],
                                        scale: spec.scale(layer: layer), dropout: Float(spec.dropout))
            }
        }
    }

    /// Whether it has a router of its own (the one owner of this rule is `AdapterSpec.hasProjectionRouter`).
    var hasRouter: Bool { experts > 1 && !inFeedForwardExperts }
    var aName: String { AdapterViewName.a(layer: layer, kind) }
    var bName: String { AdapterViewName.b(layer: layer, kind) }
    var routerName: String { AdapterViewName.router(layer: layer, kind) }

    /// Parameter blocks this projection adds to the adapter set (none when it is not adapted).
    var adapterBlocks: [(name: String, rows: Int, columns: Int)] {
        guard experts > 0 else { return [] }
        return [(aName, experts * rank, inputWidth), (bName, outputWidth, experts * rank)]
            + (hasRouter ? [(routerName, experts, inputWidth)] : [])
    }

    /// Per-expert views (`...lora_A_3`, `...lora_B_3`) into the stacked blocks laid out at `offsets`.
    func expertViews(in offsets: [String: ParameterSet.View]) -> [(name: String, view: ParameterSet.View)] {
        guard let a = offsets[aName], let b = offsets[bName] else { return [] }
        return (0..<experts).flatMap { e in [
            (AdapterViewName.expert(aName, e),
             ParameterSet.View(offset: a.offset + e * rank * inputWidth, rows: rank, columns: inputWidth, rowStride: inputWidth)),
            (AdapterViewName.expert(bName, e),
             ParameterSet.View(offset: b.offset + e * rank, rows: outputWidth, columns: rank, rowStride: experts * rank)),
        ] }
    }
}

/// Typed handles on one projection's parameters, resolved when its `MoLALinear` is built.
struct ProjectionWeights {
    /// The adapter's views of an adapted projection.
    struct Adapter {
        /// Every expert's A, stacked, [E R, Cin].
        let a: ParameterSet.View
        /// Every expert's B, side by side, [Cout, E R].
        let b: ParameterSet.View
        /// [E, Cin]; nil with one expert (plain LoRA) or when the layer's feed-forward experts route it.
        let router: ParameterSet.View?
        let experts: Int
        let rank: Int
    }

    /// W0, [Cout, Cin], in the base set.
    let base: ParameterSet.View
    /// nil when the projection is not adapted.
    let adapter: Adapter?

    init(_ layout: ProjectionLayout, base: ParameterSet, adapter: ParameterSet) {
        self.base = base.view(BaseTensorName.projection(layer: layout.layer, layout.kind))
        self.adapter = layout.experts > 0
            ? Adapter(a: adapter.view(layout.aName), b: adapter.view(layout.bName),
                      router: layout.hasRouter ? adapter.view(layout.routerName) : nil, experts: layout.experts, rank: layout.rank)
            : nil
    }
}

extension ProjectionWeights.Adapter {
    /// Expert `e`'s LoRA update of `rows` gathered rows, each scaled by its own factor.
    ///
    /// ```
    /// X is [rows, Cin]   A_e is [R, Cin]   B_e is columns [e R, (e + 1) R) of B, [Cout, R]
    /// H = X A_e^T;  H[row] *= factor(row)          [rows, R]    (in `hidden`)
    /// out = beta out + H B_e^T                     [rows, Cout]
    /// ```
    /// - Parameters:
    ///   - factor: the scale of each row's update (`s w` for a routed row, `s` alone for one
    ///     weighted later).
    ///   - hidden: room for `rows * R` floats.
    func expertUpdate(_ e: Int, of x: UnsafePointer<Float>, rows: Int, factor: (Int) -> Float, values: ParameterSet,
                      hidden: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, beta: Float) {
        let inputWidth = a.columns, outputWidth = b.rows
        LinearAlgebra.multiply(x, values.values(a) + e * rank * inputWidth, transposeB: true, into: hidden,
                               m: rows, n: rank, k: inputWidth)
        for row in 0..<rows {
            let scale = factor(row)
            for r in 0..<rank { hidden[row * rank + r] *= scale }
        }
        LinearAlgebra.multiply(hidden, values.values(b) + e * rank, transposeB: true, leadingB: experts * rank,
                               into: out, m: rows, n: outputWidth, k: rank, beta: beta)
    }
}
