import Foundation
import MoLATensor

/// A weight update kept as a product of two thin factors, never formed as a `d_out x d_in` matrix.
///
/// ```
/// M = U V        U is [d_out, m] row-major      V is [m, d_in] row-major      (m = r for one expert: U = s B, V = A)
/// sum_i w_i M_i = [w_1 U_1, ..., w_k U_k] [V_1; ...; V_k]                    (m = k r)
/// ||M||_F^2 = sum_{p,q} (U^T U)_{pq} (V V^T)_{pq}                             (two m x m Gram matrices)
/// truncation to rank r: U = Q_U R_U, V^T = Q_V R_V (thin QR), R_U R_V^T = U_c S V_c^T (SVD),
///     M_r = (Q_U U_c[:, :r]) S[:r] (Q_V V_c[:, :r])^T
/// ```
struct LowRankUpdate {
    let outputWidth: Int
    let inputWidth: Int
    /// `m`, the inner width.
    let width: Int
    /// `U`, `[outputWidth, width]` row-major.
    let left: [Double]
    /// `V`, `[width, inputWidth]` row-major.
    let right: [Double]

    /// One expert's `dW = s B A`, `B` `[d_out, r]` and `A` `[r, d_in]` row-major.
    init(b: [Double], a: [Double], scale: Double, rank: Int, outputWidth: Int, inputWidth: Int) {
        precondition(b.count == outputWidth * rank && a.count == rank * inputWidth, "LowRankUpdate: factor sizes")
        (self.outputWidth, self.inputWidth, width) = (outputWidth, inputWidth, rank)
        left = b.map { $0 * scale }
        right = a
    }

    private init(outputWidth: Int, inputWidth: Int, width: Int, left: [Double], right: [Double]) {
        (self.outputWidth, self.inputWidth, self.width, self.left, self.right) = (outputWidth, inputWidth, width, left, right)
    }

    /// `sum_i w_i M_i` (weights as given: pass normalised ones for a mean).
    static func combination(_ parts: [(update: LowRankUpdate, weight: Double)]) -> LowRankUpdate {
        let first = parts[0].update
        let width = parts.reduce(0) { $0 + $1.update.width }
        var left = [Double](repeating: 0, count: first.outputWidth * width)
        var offset = 0
        for (update, weight) in parts {
            for row in 0..<first.outputWidth {
                for column in 0..<update.width {
                    left[row * width + offset + column] = weight * update.left[row * update.width + column]
                }
            }
            offset += update.width
        }
        return LowRankUpdate(outputWidth: first.outputWidth, inputWidth: first.inputWidth, width: width, left: left,
                             right: parts.flatMap(\.update.right))
    }

    /// `||M||_F`, from the Gram matrices of `U`'s columns and `V`'s rows.
    var frobeniusNorm: Double {
        var gramLeft = [Double](repeating: 0, count: width * width), gramRight = gramLeft
        left.withUnsafeBufferPointer { u in
            gramLeft.withUnsafeMutableBufferPointer { LinearAlgebra.gramOfColumns(u, rows: outputWidth, columns: width, into: $0) }
        }
        right.withUnsafeBufferPointer { v in
            gramRight.withUnsafeMutableBufferPointer { LinearAlgebra.gramOfRows(v, rows: width, columns: inputWidth, into: $0) }
        }
        return sqrt(max(0, zip(gramLeft, gramRight).reduce(0) { $0 + $1.0 * $1.1 }))
    }

    /// `||self - other||_F`.
    func distance(to other: LowRankUpdate) -> Double {
        Self.combination([(self, 1), (other, -1)]).frobeniusNorm
    }

    /// The best rank-`rank` approximation as LoRA factors with `s B A = M_r` (the singular values
    /// split evenly: `B = Q_U U_c sqrt(S / s)`, `A = sqrt(S / s) V_c^T Q_V^T`), and
    /// `||M_r - M||_F / ||M||_F` (0 for `M = 0`).
    ///
    /// - Throws: `LinearAlgebraError` from LAPACK.
    func truncated(rank: Int, scale: Double) throws(LinearAlgebraError) -> (b: [Float], a: [Float], relativeError: Double) {
        let kLeft = min(outputWidth, width), kRight = min(inputWidth, width)
        // U column-major [d_out, m] is U^T's row-major bytes; V row-major is V^T column-major.
        var leftColumns = [Double](repeating: 0, count: outputWidth * width)
        for row in 0..<outputWidth { for column in 0..<width { leftColumns[column * outputWidth + row] = left[row * width + column] } }
        var rightColumns = right
        var upperLeft = [Double](repeating: 0, count: kLeft * width), upperRight = [Double](repeating: 0, count: kRight * width)
        try leftColumns.withUnsafeMutableBufferPointer { (matrix) throws(LinearAlgebraError) in
            try upperLeft.withUnsafeMutableBufferPointer { (upper) throws(LinearAlgebraError) in
                try LinearAlgebra.thinQR(matrix, rows: outputWidth, columns: width, upperTriangle: upper, formQ: true)
            }
        }
        try rightColumns.withUnsafeMutableBufferPointer { (matrix) throws(LinearAlgebraError) in
            try upperRight.withUnsafeMutableBufferPointer { (upper) throws(LinearAlgebraError) in
                try LinearAlgebra.thinQR(matrix, rows: inputWidth, columns: width, upperTriangle: upper, formQ: true)
            }
        }
        // core = R_U R_V^T, [kLeft, kRight].
        var core = [Double](repeating: 0, count: kLeft * kRight)
        for i in 0..<kLeft { for j in 0..<kRight {
            var sum = 0.0
            for p in 0..<width { sum += upperLeft[i * width + p] * upperRight[j * width + p] }
            core[i * kRight + j] = sum
        } }
        let k = min(kLeft, kRight)
        var values = [Double](repeating: 0, count: k), coreLeft = [Double](repeating: 0, count: kLeft * k)
        var coreRight = [Double](repeating: 0, count: k * kRight)
        try core.withUnsafeBufferPointer { (matrix) throws(LinearAlgebraError) in
            try values.withUnsafeMutableBufferPointer { (s) throws(LinearAlgebraError) in
                try coreLeft.withUnsafeMutableBufferPointer { (u) throws(LinearAlgebraError) in
                    try coreRight.withUnsafeMutableBufferPointer { (vt) throws(LinearAlgebraError) in
                        try LinearAlgebra.singularValueDecomposition(matrix, rows: kLeft, columns: kRight, singularValues: s, vectors: (u, vt))
                    }
                }
            }
        }
        let kept = min(rank, k)
        let total = values.reduce(0) { $0 + $1 * $1 }, dropped = values.dropFirst(kept).reduce(0) { $0 + $1 * $1 }
        var b = [Float](repeating: 0, count: outputWidth * rank), a = [Float](repeating: 0, count: rank * inputWidth)
        for p in 0..<kept {
            let root = sqrt(values[p] / abs(scale)), sign = scale < 0 ? -1.0 : 1.0
            // B[:, p] = Q_U U_c[:, p] root (Q_U column-major [d_out, kLeft] in leftColumns).
            for row in 0..<outputWidth {
                var sum = 0.0
                for i in 0..<kLeft { sum += leftColumns[i * outputWidth + row] * coreLeft[i * k + p] }
                b[row * rank + p] = Float(sign * sum * root)
            }
            // A[p, :] = root V_c^T[p, :] Q_V^T (Q_V column-major [d_in, kRight] in rightColumns).
            for column in 0..<inputWidth {
                var sum = 0.0
                for j in 0..<kRight { sum += coreRight[p * kRight + j] * rightColumns[j * inputWidth + column] }
                a[p * inputWidth + column] = Float(sum * root)
            }
        }
        return (b, a, total > 0 ? sqrt(dropped / total) : 0)
    }

    /// `M` formed densely, `[d_out, d_in]` row-major: the naive reference for tests.
    var dense: [Double] {
        var matrix = [Double](repeating: 0, count: outputWidth * inputWidth)
        for row in 0..<outputWidth { for column in 0..<inputWidth {
            var sum = 0.0
            for p in 0..<width { sum += left[row * width + p] * right[p * inputWidth + column] }
            matrix[row * inputWidth + column] = sum
        } }
        return matrix
    }
}
