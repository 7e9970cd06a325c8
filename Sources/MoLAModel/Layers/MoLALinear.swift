import Foundation
import MoLACheckpoint
import MoLATensor

/// A frozen (or trainable) linear projection with a mixture of LoRA experts and a router.
///
/// ```
/// x is [N, Cin]   W0 is [Cout, Cin]   A (all experts stacked) is [E R, Cin]
/// B (side by side) is [Cout, E R]   router Wr is [E, Cin]   y is [N, Cout]
///
/// p   = softmax(x Wr^T)                      float32, over all E experts     (`Router`)
/// S   = top-K indices of p;  w_i = p_i / sum_{j in S} p_j
/// H   = dropout(x) A^T                       [N, E R], every expert
/// G   = H with expert i's R columns times s * w_i for i in S, zero elsewhere
/// y   = x W0^T + G B^T
/// ```
/// With one expert there is no router (plain LoRA, w = 1). The experts of MixLoRA's gate, up
/// and down belong to their layer's `FeedForwardExperts`, which reads their weights and routes
/// them; such a projection has no `routing` and is never run on its own.
/// ([MoLA, arXiv 2402.08562](https://arxiv.org/abs/2402.08562), section 3.)
final class MoLALinear {
    let layer: Int
    let kind: ProjectionKind
    let inputWidth: Int
    let outputWidth: Int
    let experts: Int
    let rank: Int
    let topK: Int
    let scale: Float
    let dropout: Float
    let capacity: Int
    /// Views of W0, A, B and the router, resolved at build.
    let parameters: ProjectionWeights
    /// The router's decisions of the last forward; nil when the projection is not adapted or its
    /// experts are its layer's feed-forward experts' (MixLoRA).
    let routing: Router?

    // Caches of the last forward, for the backward: [capacity, ...].
    let hidden: FloatBuffer             // H, [N, E R]
    let gated: FloatBuffer              // G, [N, E R]
    let dropoutMask: FloatBuffer?       // [N, Cin], 0 or 1 / (1 - p)
    let droppedInput: FloatBuffer?      // [N, Cin]
    /// Whether the last forward applied dropout (else the backward reads the input itself).
    var droppedInLastForward = false

    /// The projection `layout` describes, on `base` and `adapter` (laid out from the same layouts),
    /// with caches for `capacity` tokens.
    init(_ layout: ProjectionLayout, capacity: Int, base: ParameterSet, adapter: ParameterSet) {
        layer = layout.layer
        kind = layout.kind
        inputWidth = layout.inputWidth
        outputWidth = layout.outputWidth
        experts = layout.experts
        rank = layout.rank
        topK = layout.topK
        scale = layout.scale
        dropout = layout.dropout
        self.capacity = layout.experts > 0 && !layout.inFeedForwardExperts ? capacity : 0
        parameters = ProjectionWeights(layout, base: base, adapter: adapter)
        let capacity = self.capacity
        routing = capacity > 0 ? Router(layer: layer, site: .projection(kind), experts: experts, topK: topK, capacity: capacity) : nil
        hidden = FloatBuffer(count: capacity * experts * rank)
        gated = FloatBuffer(count: capacity * experts * rank)
        dropoutMask = dropout > 0 ? FloatBuffer(count: capacity * inputWidth) : nil
        droppedInput = dropout > 0 ? FloatBuffer(count: capacity * inputWidth) : nil
    }

    /// Whether it has a router of its own (a mixture routed per projection).
    var hasRouter: Bool { parameters.adapter?.router != nil }
    /// Names of the adapter's views (loading, saving, initialisation; passes use `parameters`).
    var aName: String { AdapterViewName.a(layer: layer, kind) }
    var bName: String { AdapterViewName.b(layer: layer, kind) }
    var routerName: String { AdapterViewName.router(layer: layer, kind) }

    /// y = x W0^T + G B^T; fills the caches.
    ///
    /// - Parameter oneToken: W0 quantized, for the product of a single row (see `baseProductAndRoute`).
    func forward(_ x: UnsafePointer<Float>, count: Int, base: ParameterSet, adapter: ParameterSet,
                 out: UnsafeMutablePointer<Float>, training: Bool, random: inout SplitMix, oneToken: OneTokenProduct? = nil) {
        let width = experts * rank
        guard let (views, routing) = baseProductAndRoute(x, count: count, base: base, adapter: adapter, out: out, oneToken: oneToken)
        else { return }
        let chosen = routing.chosen, weights = routing.weights
        var input = x
        if training, let mask = dropoutMask, let dropped = droppedInput {
            let keep = 1 / (1 - dropout)
            for i in 0..<(count * inputWidth) {
                mask.pointer[i] = random.nextUnit() < dropout ? 0 : keep
                dropped.pointer[i] = x[i] * mask.pointer[i]
            }
            input = UnsafePointer(dropped.pointer)
            droppedInLastForward = true
        } else {
            droppedInLastForward = false
        }
        LinearAlgebra.multiply(input, adapter.values(views.a), transposeB: true, into: hidden.pointer, m: count, n: width, k: inputWidth)
        // One pass writes every expert's columns: s * w_i where chosen, 0 elsewhere.
        var factors = [Float](repeating: 0, count: experts)
        for n in 0..<count {
            for slot in 0..<topK { factors[Int(chosen[n * topK + slot])] = scale * weights.pointer[n * topK + slot] }
            let source = hidden.pointer + n * width, target = gated.pointer + n * width
            for e in 0..<experts {
                let factor = factors[e]
                for r in (e * rank)..<((e + 1) * rank) { target[r] = factor * source[r] }
                factors[e] = 0
            }
        }
        LinearAlgebra.multiply(gated.pointer, adapter.values(views.b), transposeB: true, into: out,
                               m: count, n: outputWidth, k: width, beta: 1)
    }

    /// `out = x W0^T`, then the router's decisions; the adapter's views and the decisions, nil
    /// when the projection is not adapted.
    ///
    /// - Parameter oneToken: when given and `count` is 1, W0 is read in its quantized form.
    func baseProductAndRoute(_ x: UnsafePointer<Float>, count: Int, base: ParameterSet, adapter: ParameterSet,
                             out: UnsafeMutablePointer<Float>, oneToken: OneTokenProduct? = nil)
        -> (views: ProjectionWeights.Adapter, routing: Router)? {
        if count == 1, let oneToken {
            oneToken.weights.multiply(x, into: out, threads: oneToken.threads)
        } else {
            LinearAlgebra.multiply(x, base.values(parameters.base), transposeB: true, into: out, m: count, n: outputWidth, k: inputWidth)
        }
        guard let views = parameters.adapter else { return nil }  // not adapted: the base projection alone
        guard let routing else {
            preconditionFailure("MoLALinear: layer \(layer) \(kind.checkpointName) belongs to its layer's feed-forward experts, which run it")
        }
        routing.route(x, count: count, router: views.router.map { adapter.values($0) }, inputWidth: inputWidth)
        return (views, routing)
    }

    /// Only the routing decisions, for a projection whose output nobody reads (the last
    /// down_proj of a routing pass without logits); nothing for one without a router of its own.
    func routeOnly(_ x: UnsafePointer<Float>, count: Int, adapter: ParameterSet) {
        guard let routing, let views = parameters.adapter else { return }
        routing.route(x, count: count, router: views.router.map { adapter.values($0) }, inputWidth: inputWidth)
    }

    /// Accumulates gradients into `dx`, the adapter's gradients, and the base's when `trainBase`.
    ///
    /// - Parameter balanceGradient: `dLoss/dP[n, i]` of the balance loss (the same for every row), or nil.
    func backward(_ dout: UnsafePointer<Float>, x: UnsafePointer<Float>, count: Int, base: ParameterSet,
                  adapter: ParameterSet, dx: UnsafeMutablePointer<Float>, trainBase: Bool,
                  balanceGradient: [Float]?, scratch: Scratch) {
        if let views = parameters.adapter {
            adapterBackward(dout, x: x, count: count, adapter: adapter, views: views, dx: dx, balanceGradient: balanceGradient,
                            scratch: scratch)
        }
        LinearAlgebra.multiply(dout, base.values(parameters.base), into: dx, m: count, n: inputWidth, k: outputWidth, beta: 1)
        if trainBase {
            LinearAlgebra.multiply(dout, transposeA: true, x, into: base.gradients(parameters.base),
                                   m: outputWidth, n: inputWidth, k: count, beta: 1)
        }
    }

    private func adapterBackward(_ dout: UnsafePointer<Float>, x: UnsafePointer<Float>, count: Int, adapter: ParameterSet,
                                 views: ProjectionWeights.Adapter, dx: UnsafeMutablePointer<Float>, balanceGradient: [Float]?, scratch: Scratch) {
        guard let routing else {
            preconditionFailure("MoLALinear: layer \(layer) \(kind.checkpointName) belongs to its layer's feed-forward experts, which have no backward")
        }
        let chosen = routing.chosen, weights = routing.weights
        let width = experts * rank
        let dGated = scratch.buffer(.projectionDGated, count * width)
        let dHidden = scratch.buffer(.projectionDHidden, count * width)
        // dG = dy B;  dB += dy^T G
        LinearAlgebra.multiply(dout, adapter.values(views.b), into: dGated, m: count, n: width, k: outputWidth)
        LinearAlgebra.multiply(dout, transposeA: true, gated.pointer, into: adapter.gradients(views.b),
                               m: outputWidth, n: width, k: count, beta: 1)
        let dWeights = scratch.buffer(.projectionDWeights, count * topK)
        dHidden.update(repeating: 0, count: count * width)
        for n in 0..<count {
            for slot in 0..<topK {
                let expert = Int(chosen[n * topK + slot])
                let offset = n * width + expert * rank
                let factor = scale * weights.pointer[n * topK + slot]
                var dot: Float = 0
                for r in 0..<rank {
                    dot += dGated[offset + r] * hidden.pointer[offset + r]
                    dHidden[offset + r] = factor * dGated[offset + r]
                }
                dWeights[n * topK + slot] = scale * dot
            }
        }
        // dA += dH^T dropout(x);  dx += dropout'(dH A)
        let dropped = droppedInLastForward ? droppedInput : nil
        let input = dropped.map { UnsafePointer($0.pointer) } ?? x
        LinearAlgebra.multiply(dHidden, transposeA: true, input, into: adapter.gradients(views.a),
                               m: width, n: inputWidth, k: count, beta: 1)
        if droppedInLastForward, let mask = dropoutMask {
            let dInput = scratch.buffer(.projectionDInput, count * inputWidth)
            LinearAlgebra.multiply(dHidden, adapter.values(views.a), into: dInput, m: count, n: inputWidth, k: width)
            for i in 0..<(count * inputWidth) { dx[i] += dInput[i] * mask.pointer[i] }
        } else {
            LinearAlgebra.multiply(dHidden, adapter.values(views.a), into: dx, m: count, n: inputWidth, k: width, beta: 1)
        }
        if let router = views.router {
            routerBackward(dWeights: dWeights, x: x, count: count, adapter: adapter, router: router, routing: routing, dx: dx,
                           balanceGradient: balanceGradient, scratch: scratch)
        }
    }

    /// Through the renormalisation and the softmax into the router and the input.
    /// ```
    /// dp_j = (dw_j - sum_{i in S} dw_i w_i) / sum_{i in S} p_i   for j in S, plus the balance term
    /// dlogit = p * (dp - sum_e p_e dp_e)
    /// ```
    private func routerBackward(dWeights: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int,
                                adapter: ParameterSet, router: ParameterSet.View, routing: Router, dx: UnsafeMutablePointer<Float>,
                                balanceGradient: [Float]?, scratch: Scratch) {
        let dLogits = scratch.buffer(.routerDLogits, count * experts)
        let p = routing.probabilities.pointer, chosen = routing.chosen, weights = routing.weights
        for n in 0..<count {
            let row = p + n * experts, gradient = dLogits + n * experts
            for e in 0..<experts { gradient[e] = balanceGradient?[e] ?? 0 }
            var selectedSum: Float = 0, weighted: Float = 0
            for slot in 0..<topK {
                selectedSum += row[Int(chosen[n * topK + slot])]
                weighted += dWeights[n * topK + slot] * weights.pointer[n * topK + slot]
            }
            for slot in 0..<topK {
                gradient[Int(chosen[n * topK + slot])] += (dWeights[n * topK + slot] - weighted) / selectedSum
            }
            var dot: Float = 0
            for e in 0..<experts { dot += row[e] * gradient[e] }
            for e in 0..<experts { gradient[e] = row[e] * (gradient[e] - dot) }
        }
        LinearAlgebra.multiply(dLogits, transposeA: true, x, into: adapter.gradients(router),
                               m: experts, n: inputWidth, k: count, beta: 1)
        LinearAlgebra.multiply(dLogits, adapter.values(router), into: dx, m: count, n: inputWidth, k: experts, beta: 1)
    }
}
