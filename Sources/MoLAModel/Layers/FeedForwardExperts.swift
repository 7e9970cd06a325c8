import MoLACheckpoint
import MoLATensor

/// MoE-PEFT MixLoRA's feed-forward experts of one layer: each expert is the layer's whole MLP with
/// its own LoRA on gate, up and down (the base weights shared), and one router per block sends each
/// token to K of them.
///
/// ```
/// h is [N, C]   Wr is [E, C]   W_g, W_u are [F, C]   W_d is [C, F]   s = alpha / r
/// S, w  = top-K of softmax(h Wr^T), renormalised over the K (`Router`)
/// FFN_e(h) = (silu(h W_g,e^T) * (h W_u,e^T)) W_d,e^T       W_p,e = W_p + s B_p,e A_p,e
/// out      = sum_{e in S} w_e FFN_e(h)                       [N, C], the MLP's output
/// ```
/// (The weights sum to 1, so `out` replaces the MLP; a projection without LoRA, not in
/// `target_modules`, is the base alone in every expert.) Computed with the base products of gate
/// and up once for every token, as MoE-PEFT's efficient operator does (`LlamaMLP._mixlora_forward`),
/// each expert's LoRA updates and activations for its own tokens only, and, down being linear, its
/// base product once over the weighted sum of the activations (MoE-PEFT multiplies each expert's):
/// ```
/// G = h W_g^T,  U = h W_u^T                                          [N, F]
/// for each expert e, over its n_e tokens S_e with weights w:
///     a = silu(G[S_e] + s h[S_e] A_g,e^T B_g,e^T) * (U[S_e] + s h[S_e] A_u,e^T B_u,e^T)   [n_e, F]
///     M[S_e] += w a;   out[S_e] += w s a A_d,e^T B_d,e^T
/// out += M W_d^T
/// ```
/// A forward without backward: MixLoRA adapters are read and run here, not trained.
/// ([MixLoRA, arXiv 2404.15159](https://arxiv.org/abs/2404.15159); MoE-PEFT's `MixtralSparseMoe`.)
final class FeedForwardExperts {
    let layer: Int
    let experts: Int
    let hiddenSize: Int
    let intermediateSize: Int
    /// The block router's decisions of the last forward.
    let routing: Router
    let router: ParameterSet.View
    /// Each projection's base weight and, where it is adapted, its experts' A and B.
    let gate, up, down: ProjectionWeights
    /// `alpha / r` of the experts' LoRA.
    let scale: Float

    /// The experts `layout` describes, over the layer's `projections` ([kind.rawValue]), on `base`
    /// and `adapter`, routing up to `capacity` tokens.
    init(_ layout: FeedForwardExpertsLayout, projections: [ProjectionLayout], capacity: Int, base: ParameterSet, adapter: ParameterSet) {
        let (gate, up, down) = (projections[ProjectionKind.gate.rawValue], projections[ProjectionKind.up.rawValue],
                                projections[ProjectionKind.down.rawValue])
        layer = layout.layer
        experts = layout.experts
        hiddenSize = gate.inputWidth
        intermediateSize = gate.outputWidth
        routing = Router(layer: layout.layer, site: .feedForwardBlock, experts: layout.experts, topK: layout.topK, capacity: capacity)
        router = adapter.view(layout.routerName)
        self.gate = ProjectionWeights(gate, base: base, adapter: adapter)
        self.up = ProjectionWeights(up, base: base, adapter: adapter)
        self.down = ProjectionWeights(down, base: base, adapter: adapter)
        scale = [gate, up, down].first { $0.experts > 0 }?.scale ?? 0
        for projection in [gate, up, down] where projection.experts > 0 {
            precondition(projection.inFeedForwardExperts && projection.experts == experts,
                         "FeedForwardExperts: layer \(layer) \(projection.kind.checkpointName) has \(projection.experts) experts, the block \(experts)")
        }
    }

    /// What `DecoderLayerSteps.runFeedForwardExperts` does, on `base` and `adapter`: the mixture of
    /// `b.norm2` into `b.output`, or with `routeOnly` the routing alone.
    func run(_ b: LayerBuffers, count: Int, base: ParameterSet, adapter: ParameterSet, scratch: Scratch, routeOnly: Bool) {
        guard !routeOnly else { return route(b.norm2, count: count, adapter: adapter) }
        forward(b.norm2, count: count, base: base, adapter: adapter, gate: b.gate, up: b.up, mixed: b.activated, out: b.output,
                scratch: scratch)
    }

    /// The router's decisions for `count` rows of `h` ([N, C]) alone (a routing pass's last layer).
    func route(_ h: UnsafePointer<Float>, count: Int, adapter: ParameterSet) {
        routing.route(h, count: count, router: adapter.values(router), inputWidth: hiddenSize)
    }

    /// Routes `count` rows of `h` and writes the MLP's output into `out` ([N, C], the residual not
    /// added); `gate`, `up` and `mixed` ([N, F] each) hold G, U and M.
    func forward(_ h: UnsafePointer<Float>, count: Int, base: ParameterSet, adapter: ParameterSet, gate gateProducts: UnsafeMutablePointer<Float>,
                 up upProducts: UnsafeMutablePointer<Float>, mixed: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                 scratch: Scratch) {
        let c = hiddenSize, f = intermediateSize, scale = scale
        route(h, count: count, adapter: adapter)
        LinearAlgebra.multiply(h, base.values(gate.base), transposeB: true, into: gateProducts, m: count, n: f, k: c)
        LinearAlgebra.multiply(h, base.values(up.base), transposeB: true, into: upProducts, m: count, n: f, k: c)
        mixed.update(repeating: 0, count: count * f)
        out.update(repeating: 0, count: count * c)
        let (starts, members, weights) = routing.rowsByExpert(count: count)
        let largest = (0..<experts).map { starts[$0 + 1] - starts[$0] }.max() ?? 0
        let gathered = scratch.buffer(.gatheredInput, largest * c)
        let activation = scratch.buffer(.expertGate, largest * f), upRows = scratch.buffer(.expertUp, largest * f)
        let hidden = scratch.buffer(.expertHidden, largest * ([gate, up, down].compactMap(\.adapter?.rank).max() ?? 0))
        let downRows = scratch.buffer(.expertOutput, largest * c)
        for e in 0..<experts {
            let rows = starts[e + 1] - starts[e]
            guard rows > 0 else { continue }
            let tokens = members[starts[e]..<starts[e + 1]], rowWeights = weights[starts[e]..<starts[e + 1]]
            for (row, n) in tokens.enumerated() {
                (gathered + row * c).update(from: h + n * c, count: c)
                (activation + row * f).update(from: gateProducts + n * f, count: f)
                (upRows + row * f).update(from: upProducts + n * f, count: f)
            }
            gate.adapter?.expertUpdate(e, of: gathered, rows: rows, factor: { _ in scale }, values: adapter, hidden: hidden,
                                       into: activation, beta: 1)
            up.adapter?.expertUpdate(e, of: gathered, rows: rows, factor: { _ in scale }, values: adapter, hidden: hidden,
                                     into: upRows, beta: 1)
            SwiGLU.forward(gate: activation, up: upRows, out: activation, count: rows * f)
            for (row, (n, weight)) in zip(tokens, rowWeights).enumerated() {
                let source = activation + row * f, target = mixed + n * f
                for j in 0..<f { target[j] += weight * source[j] }
            }
            guard let downExperts = down.adapter else { continue }
            downExperts.expertUpdate(e, of: activation, rows: rows, factor: { scale * rowWeights[rowWeights.startIndex + $0] },
                                     values: adapter, hidden: hidden, into: downRows, beta: 0)
            for (row, n) in tokens.enumerated() {
                let source = downRows + row * c, target = out + n * c
                for j in 0..<c { target[j] += source[j] }
            }
        }
        LinearAlgebra.multiply(mixed, base.values(down.base), transposeB: true, into: out, m: count, n: c, k: f, beta: 1)
    }
}
