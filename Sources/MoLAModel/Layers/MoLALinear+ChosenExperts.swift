import MoLATensor

extension MoLALinear {
    /// The forward of a pass no backward follows (routing, evaluation, generation), without
    /// dropout: the chosen experts only when some go unchosen (E > K), else the dense forward.
    ///
    /// - Parameter oneToken: W0 quantized, for the product of a single row (see `baseProductAndRoute`).
    func forwardWithoutBackward(_ x: UnsafePointer<Float>, count: Int, base: ParameterSet, adapter: ParameterSet,
                                out: UnsafeMutablePointer<Float>, scratch: Scratch, oneToken: OneTokenProduct? = nil) {
        guard experts > topK else {
            var unused = SplitMix(seed: 0)  // no dropout outside training: nothing draws from it
            return forward(x, count: count, base: base, adapter: adapter, out: out, training: false, random: &unused,
                           oneToken: oneToken)
        }
        forwardChosenExperts(x, count: count, base: base, adapter: adapter, out: out, scratch: scratch, oneToken: oneToken)
    }

    /// y = x W0^T + sum over chosen experts, computed for the tokens that chose each expert only.
    ///
    /// ```
    /// for each expert i:  S_i = tokens that chose i (n_i of them)
    ///   X_i = x[S_i]                          [n_i, Cin]   gathered
    ///   H_i = X_i A_i^T, row n scaled by s w  [n_i, R]
    ///   y[S_i] += H_i B_i^T                   [n_i, Cout]  scattered
    /// ```
    /// The dense `forward` multiplies every expert for every token and zeroes the unchosen ones;
    /// this does `K / E` of that work, in products of `n_i` rows. It keeps no caches for a backward.
    private func forwardChosenExperts(_ x: UnsafePointer<Float>, count: Int, base: ParameterSet, adapter: ParameterSet,
                                      out: UnsafeMutablePointer<Float>, scratch: Scratch, oneToken: OneTokenProduct?) {
        guard let (views, routing) = baseProductAndRoute(x, count: count, base: base, adapter: adapter, out: out, oneToken: oneToken)
        else { return }
        droppedInLastForward = false
        let (starts, members, weights) = routing.rowsByExpert(count: count)
        let largest = (0..<experts).map { starts[$0 + 1] - starts[$0] }.max() ?? 0
        let gathered = scratch.buffer(.gatheredInput, largest * inputWidth)
        let expertHidden = scratch.buffer(.expertHidden, largest * rank)
        let expertOutput = scratch.buffer(.expertOutput, largest * outputWidth)
        for e in 0..<experts {
            let rows = starts[e + 1] - starts[e]
            guard rows > 0 else { continue }
            for (row, n) in members[starts[e]..<starts[e + 1]].enumerated() {
                (gathered + row * inputWidth).update(from: x + n * inputWidth, count: inputWidth)
            }
            views.expertUpdate(e, of: gathered, rows: rows, factor: { scale * weights[starts[e] + $0] }, values: adapter,
                               hidden: expertHidden, into: expertOutput, beta: 0)
            for (row, n) in members[starts[e]..<starts[e + 1]].enumerated() {
                let source = expertOutput + row * outputWidth, target = out + n * outputWidth
                for c in 0..<outputWidth { target[c] += source[c] }
            }
        }
    }
}
