import MoLACheckpoint

/// Reads the `r x r` blocks of the Gram matrices of one projection's stacked experts.
///
/// ```
/// gramA is [E r, E r] = A A^T    over the stacked A ([E r, d_in]);  block (i, j) = A_i A_j^T
/// gramB is [E r, E r] = B^T B    over the side-by-side B ([d_out, E r]); block (i, j) = B_i^T B_j
/// ```
struct ExpertGrams {
    let metric: RedundancyMetric
    let rank: Int
    /// `E r`.
    let width: Int
    /// Empty when the metric does not need it.
    let gramA: UnsafeBufferPointer<Double>
    let gramB: UnsafeBufferPointer<Double>

    /// `<W_i, W_j>_F`, without the scale: for `delta`, `sum_pq (A_i A_j^T)[p,q] (B_i^T B_j)[p,q]`;
    /// for `a` and `b`, the trace of the block.
    func inner(_ first: Int, _ second: Int) -> Double {
        var total = 0.0
        for p in 0..<rank {
            let row = (first * rank + p) * width + second * rank
            switch metric {
            case .a: total += gramA[row + p]
            case .b: total += gramB[row + p]
            case .delta:
                for q in 0..<rank { total += gramA[row + q] * gramB[row + q] }
            }
        }
        return total
    }

    /// Element `[p, q]` of block `(i, j)` of `gram`.
    func block(_ gram: UnsafeBufferPointer<Double>, _ first: Int, _ second: Int, _ p: Int, _ q: Int) -> Double {
        gram[(first * rank + p) * width + second * rank + q]
    }

    func diagonalIsFinite(_ gram: UnsafeMutableBufferPointer<Double>, _ expert: Int) -> Bool {
        (0..<rank).allSatisfy { gram[(expert * rank + $0) * (width + 1)].isFinite }
    }
}

/// `||W_i - W_j||^2` (without the scale) from the difference itself, for nearly equal experts.
///
/// ```
/// dW_i - dW_j = s (B_i D_A + D_B A_j)      D_A = A_i - A_j  [r, d_in],  D_B = B_i - B_j  [d_out, r]
/// ||.||^2 / s^2 = <B_i^T B_i, D_A D_A^T> + 2 <B_i^T D_B, D_A A_j^T> + <D_B^T D_B, A_j A_j^T>
/// ```
/// Every term is of the size of the difference, so nothing cancels. Costs `O(r^2 (d_in + d_out))`
/// per pair, which is why it runs only for the pairs that need it.
struct ExpertDifference {
    let projection: ProjectionAdapter
    let grams: ExpertGrams
    let stackedA: UnsafeBufferPointer<Double>
    let sideBySideB: UnsafeBufferPointer<Double>

    func squaredNorm(_ first: Int, _ second: Int) -> Double {
        let rank = projection.rank
        let inputWidth = projection.inputWidth
        let outputWidth = projection.outputWidth
        let width = grams.width
        // D_A[p][c] and D_B[o][p], read in place.
        func a(_ expert: Int, _ p: Int, _ column: Int) -> Double { stackedA[(expert * rank + p) * inputWidth + column] }
        func b(_ expert: Int, _ row: Int, _ p: Int) -> Double { sideBySideB[row * width + expert * rank + p] }
        switch grams.metric {
        case .a:
            var total = 0.0
            for p in 0..<rank { for column in 0..<inputWidth { let d = a(first, p, column) - a(second, p, column); total += d * d } }
            return total
        case .b:
            var total = 0.0
            for row in 0..<outputWidth { for p in 0..<rank { let d = b(first, row, p) - b(second, row, p); total += d * d } }
            return total
        case .delta:
            var total = 0.0
            for p in 0..<rank {
                for q in 0..<rank {
                    var differenceA = 0.0, mixedA = 0.0  // (D_A D_A^T)[p,q], (D_A A_j^T)[p,q]
                    for column in 0..<inputWidth {
                        let dp = a(first, p, column) - a(second, p, column)
                        differenceA += dp * (a(first, q, column) - a(second, q, column))
                        mixedA += dp * a(second, q, column)
                    }
                    var differenceB = 0.0, mixedB = 0.0  // (D_B^T D_B)[p,q], (B_i^T D_B)[p,q]
                    for row in 0..<outputWidth {
                        let dq = b(first, row, q) - b(second, row, q)
                        differenceB += (b(first, row, p) - b(second, row, p)) * dq
                        mixedB += b(first, row, p) * dq
                    }
                    total += grams.block(grams.gramB, first, first, p, q) * differenceA + 2 * mixedB * mixedA
                        + differenceB * grams.block(grams.gramA, second, second, p, q)
                }
            }
            return total
        }
    }
}
