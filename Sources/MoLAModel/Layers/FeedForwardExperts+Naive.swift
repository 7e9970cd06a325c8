import Foundation

extension FeedForwardExperts {
    /// The naive reference of `forward`, for tests: token by token, each chosen expert's whole MLP
    /// with its weights merged, in Double scalar loops.
    ///
    /// ```
    /// W_p,e = W_p + s B_p,e A_p,e    (W_p alone where p has no LoRA)
    /// out_n = sum_{slot} w_n,slot (silu(h_n W_g,e^T) * (h_n W_u,e^T)) W_d,e^T,   e = the slot's expert
    /// ```
    /// The routing is the router's (`route` first), which its own tests check.
    func forwardReference(_ h: UnsafePointer<Float>, count: Int, base: ParameterSet, adapter: ParameterSet) -> [Float] {
        route(h, count: count, adapter: adapter)
        let c = hiddenSize, f = intermediateSize, topK = routing.topK
        /// Row `row` of projection `weights`'s merged matrix of expert `e`, [Cout, Cin].
        func merged(_ weights: ProjectionWeights, _ e: Int, row: Int, column: Int, inputWidth: Int) -> Double {
            var value = Double(base.values(weights.base)[row * inputWidth + column])
            if let lora = weights.adapter {
                let a = adapter.values(lora.a), b = adapter.values(lora.b)
                for r in 0..<lora.rank {
                    value += Double(scale) * Double(b[row * lora.b.rowStride + e * lora.rank + r]) * Double(a[(e * lora.rank + r) * inputWidth + column])
                }
            }
            return value
        }
        var out = [Float](repeating: 0, count: count * c)
        for n in 0..<count {
            let x = h + n * c
            var sum = [Double](repeating: 0, count: c)
            for slot in 0..<topK {
                let e = Int(routing.chosen[n * topK + slot]), weight = Double(routing.weights.pointer[n * topK + slot])
                let activated = (0..<f).map { j -> Double in
                    let g = (0..<c).reduce(0.0) { $0 + merged(gate, e, row: j, column: $1, inputWidth: c) * Double(x[$1]) }
                    let u = (0..<c).reduce(0.0) { $0 + merged(up, e, row: j, column: $1, inputWidth: c) * Double(x[$1]) }
                    return g / (1 + exp(-g)) * u
                }
                for i in 0..<c {
                    sum[i] += weight * (0..<f).reduce(0.0) { $0 + merged(down, e, row: i, column: $1, inputWidth: f) * activated[$1] }
                }
            }
            for i in 0..<c { out[n * c + i] = Float(sum[i]) }
        }
        return out
    }
}
