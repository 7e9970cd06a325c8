import MoLACheckpoint
import MoLATensor

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
            case .delta, .cosine, .subspace, .router:
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
/// dW_i - dW_j = s L R      L = [B_i | D_B]  [d_out, 2r],   R = [D_A ; A_j]  [2r, d_in]
///                          D_A = A_i - A_j,  D_B = B_i - B_j
/// ||L R||^2 / s^2 = <L^T L, R R^T>_F       (two 2r x 2r Grams, one BLAS call each)
/// ```
/// Every block of the sum is of the size of the difference, so nothing cancels. Costs
/// `O(r^2 (d_in + d_out))` per pair through BLAS, the order of the pair's share of the Gram
/// matrices themselves, which is why it runs only for the pairs that need it.
struct ExpertDifference {
    let projection: ProjectionAdapter
    let grams: ExpertGrams
    let stackedA: UnsafeBufferPointer<Double>
    let sideBySideB: UnsafeBufferPointer<Double>
    /// `[2r, d_in]`, `[d_out, 2r]` and two `[2r, 2r]` scratch matrices.
    let scratch: (r: UnsafeMutableBufferPointer<Double>, l: UnsafeMutableBufferPointer<Double>,
                  gramR: UnsafeMutableBufferPointer<Double>, gramL: UnsafeMutableBufferPointer<Double>)

    /// Scratch sizes, in elements: `R`, `L` and each Gram.
    static func scratchCounts(_ projection: ProjectionAdapter) -> (r: Int, l: Int, gram: Int) {
        let doubleRank = 2 * projection.rank
        return (doubleRank * projection.inputWidth, projection.outputWidth * doubleRank, doubleRank * doubleRank)
    }

    func squaredNorm(_ first: Int, _ second: Int) -> Double {
        let rank = projection.rank
        let inputWidth = projection.inputWidth
        let outputWidth = projection.outputWidth
        let width = grams.width
        func a(_ expert: Int, _ p: Int) -> UnsafeBufferPointer<Double> {
            UnsafeBufferPointer(rebasing: stackedA[((expert * rank + p) * inputWidth)..<((expert * rank + p + 1) * inputWidth)])
        }
        func b(_ expert: Int, _ row: Int, _ p: Int) -> Double { sideBySideB[row * width + expert * rank + p] }
        switch grams.metric {
        case .a:
            var total = 0.0
            for p in 0..<rank {
                for (x, y) in zip(a(first, p), a(second, p)) { total += (x - y) * (x - y) }
            }
            return total
        case .b:
            var total = 0.0
            for row in 0..<outputWidth { for p in 0..<rank { let d = b(first, row, p) - b(second, row, p); total += d * d } }
            return total
        case .delta, .cosine, .subspace, .router:
            let doubleRank = 2 * rank
            for p in 0..<rank {
                let (ai, aj) = (a(first, p), a(second, p))
                for column in 0..<inputWidth {
                    scratch.r[p * inputWidth + column] = ai[column] - aj[column]
                    scratch.r[(rank + p) * inputWidth + column] = aj[column]
                }
            }
            for row in 0..<outputWidth {
                for p in 0..<rank {
                    let bi = b(first, row, p)
                    scratch.l[row * doubleRank + p] = bi
                    scratch.l[row * doubleRank + rank + p] = bi - b(second, row, p)
                }
            }
            LinearAlgebra.gramOfRows(UnsafeBufferPointer(scratch.r), rows: doubleRank, columns: inputWidth, into: scratch.gramR)
            LinearAlgebra.gramOfColumns(UnsafeBufferPointer(scratch.l), rows: outputWidth, columns: doubleRank, into: scratch.gramL)
            var total = 0.0
            for index in 0..<(doubleRank * doubleRank) { total += scratch.gramL[index] * scratch.gramR[index] }
            return total
        }
    }
}
