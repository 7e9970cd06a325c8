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
        guard let views = baseProductAndRoute(x, count: count, base: base, adapter: adapter, out: out, oneToken: oneToken) else { return }
        droppedInLastForward = false
        // Tokens grouped by expert (counting sort over the chosen slots), with their weights.
        var starts = [Int](repeating: 0, count: experts + 1)
        for slot in 0..<(count * topK) { starts[Int(chosen[slot]) + 1] += 1 }
        for e in 0..<experts { starts[e + 1] += starts[e] }
        var next = starts
        var members = [Int](repeating: 0, count: count * topK)
        var factors = [Float](repeating: 0, count: count * topK)
        for n in 0..<count {
            for slot in 0..<topK {
                let e = Int(chosen[n * topK + slot])
                members[next[e]] = n
                factors[next[e]] = scale * weights.pointer[n * topK + slot]
                next[e] += 1
            }
        }
        let largest = (0..<experts).map { starts[$0 + 1] - starts[$0] }.max() ?? 0
        let gathered = scratch.buffer(.gatheredInput, largest * inputWidth)
        let expertHidden = scratch.buffer(.expertHidden, largest * rank)
        let expertOutput = scratch.buffer(.expertOutput, largest * outputWidth)
        let a = adapter.values(views.a), b = adapter.values(views.b)
        for e in 0..<experts {
            let rows = starts[e + 1] - starts[e]
            guard rows > 0 else { continue }
            for (row, n) in members[starts[e]..<starts[e + 1]].enumerated() {
                (gathered + row * inputWidth).update(from: x + n * inputWidth, count: inputWidth)
            }
            LinearAlgebra.multiply(gathered, a + e * rank * inputWidth, transposeB: true, into: expertHidden,
                                   m: rows, n: rank, k: inputWidth)
            for row in 0..<rows {
                let factor = factors[starts[e] + row]
                for r in 0..<rank { expertHidden[row * rank + r] *= factor }
            }
            // B_i is columns [i R, (i + 1) R) of B, [Cout, E R].
            LinearAlgebra.multiply(expertHidden, b + e * rank, transposeB: true, leadingB: experts * rank,
                                   into: expertOutput, m: rows, n: outputWidth, k: rank)
            for (row, n) in members[starts[e]..<starts[e + 1]].enumerated() {
                let source = expertOutput + row * outputWidth, target = out + n * outputWidth
                for c in 0..<outputWidth { target[c] += source[c] }
            }
        }
    }
}
