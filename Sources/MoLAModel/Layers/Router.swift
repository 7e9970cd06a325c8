import MoLACheckpoint
import MoLATensor

/// A top-K router's decisions for the rows of one forward pass: the one owner of how
/// probabilities become expert weights, for a projection's mixture (`MoLALinear`) and for a
/// feed-forward block's (`FeedForwardExperts`, MoE-PEFT's MixLoRA) alike.
///
/// ```
/// x is [N, Cin]   Wr is [E, Cin]
/// p = softmax(x Wr^T)                        float32, over all E experts    [N, E]
/// S = top-K indices of p (ties: the lower index), most probable first       [N, K]
/// w_i = p_i / sum_{j in S} p_j               for i in S                     [N, K]
/// ```
/// Without a router matrix (one expert, plain LoRA) every row chooses expert 0 with weight 1.
/// Dense softmax is this rule with K = E (renormalising over every expert divides by 1).
/// ([MoLA, arXiv 2402.08562](https://arxiv.org/abs/2402.08562), section 3; MoE-PEFT's
/// `MixtralSparseMoe.forward`, which renormalises its top-K the same way.)
final class Router {
    let layer: Int
    let site: RouterSite
    let experts: Int
    let topK: Int
    /// The most rows one forward routes.
    let capacity: Int

    // The decisions of the last forward, [capacity, ...].
    let probabilities: FloatBuffer      // [N, E]
    var chosen: [Int32]                 // [N, K]
    let weights: FloatBuffer            // [N, K]
    /// Per expert, how often it was chosen and the sum of its probabilities (balance loss, taps).
    var selectionCounts: [Int]
    var probabilitySums: [Double]

    init(layer: Int, site: RouterSite, experts: Int, topK: Int, capacity: Int) {
        self.layer = layer
        self.site = site
        self.experts = experts
        self.topK = topK
        self.capacity = capacity
        probabilities = FloatBuffer(count: capacity * experts)
        chosen = [Int32](repeating: 0, count: capacity * topK)
        weights = FloatBuffer(count: capacity * topK)
        selectionCounts = Array(repeating: 0, count: experts)
        probabilitySums = Array(repeating: 0, count: experts)
    }

    /// Routes `count` rows of `x` ([N, inputWidth]) through `router` ([E, inputWidth]; nil with one expert).
    func route(_ x: UnsafePointer<Float>, count: Int, router: UnsafePointer<Float>?, inputWidth: Int) {
        precondition(count <= capacity, "Router: \(count) rows, capacity \(capacity)")
        selectionCounts = Array(repeating: 0, count: experts)
        probabilitySums = Array(repeating: 0, count: experts)
        guard let router else {
            for n in 0..<count { chosen[n] = 0; weights.pointer[n] = 1; probabilities.pointer[n] = 1 }
            selectionCounts[0] = count * topK
            probabilitySums[0] = Double(count)
            return
        }
        let p = probabilities.pointer
        LinearAlgebra.multiply(x, router, transposeB: true, into: p, m: count, n: experts, k: inputWidth)
        // One flag per expert (any count: a 64-bit mask once let expert 64 be picked twice),
        // cleared after each token for the experts it picked.
        var picked = [Bool](repeating: false, count: experts)
        for n in 0..<count {
            let row = p + n * experts
            VectorMath.softmax(row, count: experts, arithmetic: .scalar)
            for e in 0..<experts { probabilitySums[e] += Double(row[e]) }
            // Top-K by repeated selection (K is small); ties go to the lower index.
            var total: Float = 0
            for slot in 0..<topK {
                var best = -1
                for e in 0..<experts where !picked[e] && (best < 0 || row[e] > row[best]) { best = e }
                picked[best] = true
                chosen[n * topK + slot] = Int32(best)
                total += row[best]
                selectionCounts[best] += 1
            }
            for slot in 0..<topK { picked[Int(chosen[n * topK + slot])] = false }
            for slot in 0..<topK { weights.pointer[n * topK + slot] = row[Int(chosen[n * topK + slot])] / total }
        }
    }

    /// The rows that chose each expert, grouped by expert (a counting sort over the chosen
    /// slots), each with its weight: expert e's are `rows[starts[e]..<starts[e + 1]]`.
    func rowsByExpert(count: Int) -> (starts: [Int], rows: [Int], weights: [Float]) {
        var starts = [Int](repeating: 0, count: experts + 1)
        for slot in 0..<(count * topK) { starts[Int(chosen[slot]) + 1] += 1 }
        for e in 0..<experts { starts[e + 1] += starts[e] }
        var next = starts
        var rows = [Int](repeating: 0, count: count * topK)
        var rowWeights = [Float](repeating: 0, count: count * topK)
        for n in 0..<count {
            for slot in 0..<topK {
                let e = Int(chosen[n * topK + slot])
                rows[next[e]] = n
                rowWeights[next[e]] = weights.pointer[n * topK + slot]
                next[e] += 1
            }
        }
        return (starts, rows, rowWeights)
    }
}

extension Router {
    /// The routers of one layer in site order: each adapted projection's (plain LoRA's trivial
    /// one included), then its feed-forward experts'.
    static func ofLayer(_ projections: [MoLALinear], _ feedForwardExperts: FeedForwardExperts?) -> [Router] {
        projections.compactMap(\.routing) + (feedForwardExperts.map { [$0.routing] } ?? [])
    }
}
