import Foundation
import MoLACheckpoint

extension RedundancyAnalyzer {
    /// The reference the fast paths are tested against: forms every compared matrix densely
    /// (`dW_i = s B_i A_i` is `d_out x d_in`) in Double and compares them with plain loops:
    /// squared differences, inner products, Gram-Schmidt bases and Jacobi singular values
    /// (no BLAS, no LAPACK).
    ///
    /// Slow and memory-hungry by design; for tests on small adapters only.
    package static func naiveDistances(_ projection: ProjectionAdapter, file: any TensorFile,
                                      options: RedundancyOptions) throws -> [ExpertPairDistance] {
        try naivePairs(projection, file: file, options: options).map { ExpertPairDistance(first: $0.first, second: $0.second, distance: $0.value) }
    }

    /// As `naiveDistances`, with the principal angles (radians, ascending) of `subspace`.
    package static func naivePairs(_ projection: ProjectionAdapter, file: any TensorFile,
                                   options: RedundancyOptions) throws -> [(first: Int, second: Int, value: Double, angles: [Double])] {
        let scale = options.metric == .delta && options.scaled ? projection.scale : 1
        let (rows, columns) = (projection.outputWidth, projection.inputWidth)
        let matrices: [[Double]] = try projection.experts.indices.map { expert in
            let names = projection.experts[expert]
            let a = try file.record(named: names.a).doubles()
            let b = try file.record(named: names.b).doubles()
            switch options.metric {
            case .a: return a
            case .b: return b
            case .router:
                let width = projection.routerWidth
                return Array(try file.record(named: projection.router!).doubles()[(expert * width)..<((expert + 1) * width)])
            case .delta, .cosine, .subspace: return NaiveMatrix.product(b, a, rows: rows, inner: projection.rank, columns: columns, scale: scale)
            }
        }
        // subspace: an orthonormal basis of each expert's column (or row) space, as columns.
        let bases: [(basis: [Double], rank: Int)] = options.metric != .subspace ? [] : matrices.map { matrix in
            options.side == .column ? NaiveMatrix.columnBasis(matrix, rows: rows, columns: columns)
                : NaiveMatrix.columnBasis(NaiveMatrix.transposed(matrix, rows: rows, columns: columns), rows: columns, columns: rows)
        }
        let basisRows = options.side == .column ? rows : columns
        var pairs: [(first: Int, second: Int, value: Double, angles: [Double])] = []
        for first in matrices.indices {
            for second in matrices.indices where second > first {
                let (x, y) = (matrices[first], matrices[second])
                switch options.metric {
                case .delta, .a, .b:
                    let squared = zip(x, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                    let distance = (options.metric == .delta ? 1 : abs(scale)) * squared.squareRoot()
                    pairs.append((first, second, distance, []))
                case .cosine, .router:
                    let dot = zip(x, y).reduce(0.0) { $0 + $1.0 * $1.1 }
                    let norms = x.reduce(0.0) { $0 + $1 * $1 }.squareRoot() * y.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
                    pairs.append((first, second, dot / norms, []))
                case .subspace:
                    let (u, v) = (bases[first], bases[second])
                    // M = U^T V: [u.rank, v.rank]
                    var m = [Double](repeating: 0, count: u.rank * v.rank)
                    for a in 0..<u.rank {
                        for b in 0..<v.rank {
                            for row in 0..<basisRows { m[a * v.rank + b] += u.basis[row * u.rank + a] * v.basis[row * v.rank + b] }
                        }
                    }
                    let phi = m.reduce(0) { $0 + $1 * $1 } / Double(min(u.rank, v.rank))
                    let cosines = NaiveMatrix.singularValues(m, rows: u.rank, columns: v.rank)
                    pairs.append((first, second, phi, cosines.map { acos(min(1, max(0, $0))) }))
                }
            }
        }
        return pairs
    }

    /// The singular values of `dW_i` of every expert, descending, from the dense matrix (one-sided Jacobi).
    package static func naiveSingularValues(_ projection: ProjectionAdapter, file: any TensorFile) throws -> [[Double]] {
        try projection.experts.map { names in
            let dense = NaiveMatrix.product(try file.record(named: names.b).doubles(), try file.record(named: names.a).doubles(),
                                            rows: projection.outputWidth, inner: projection.rank, columns: projection.inputWidth,
                                            scale: projection.scale)
            return Array(NaiveMatrix.singularValues(dense, rows: projection.outputWidth, columns: projection.inputWidth).prefix(projection.rank))
        }
    }
}

/// Dense row-major matrices in Double with plain loops: the naive references' arithmetic.
enum NaiveMatrix {
    /// `scale * X Y` for `X` `[rows, inner]` and `Y` `[inner, columns]`.
    static func product(_ x: [Double], _ y: [Double], rows: Int, inner: Int, columns: Int, scale: Double) -> [Double] {
        var result = [Double](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            for k in 0..<inner {
                let factor = scale * x[row * inner + k]
                for column in 0..<columns { result[row * columns + column] += factor * y[k * columns + column] }
            }
        }
        return result
    }

    static func transposed(_ matrix: [Double], rows: Int, columns: Int) -> [Double] {
        (0..<(rows * columns)).map { matrix[($0 % rows) * columns + $0 / rows] }
    }

    /// An orthonormal basis of the column space (`[rows, rank]`), by modified Gram-Schmidt run
    /// twice per column; columns left with under 1e-9 of the largest column's norm are dropped.
    static func columnBasis(_ matrix: [Double], rows: Int, columns: Int) -> (basis: [Double], rank: Int) {
        let largest = (0..<columns).map { columnNorm(matrix, rows: rows, columns: columns, column: $0) }.max() ?? 0
        var basis: [[Double]] = []
        for column in 0..<columns {
            var vector = (0..<rows).map { matrix[$0 * columns + column] }
            for _ in 0..<2 {
                for q in basis {
                    let projection = zip(q, vector).reduce(0.0) { $0 + $1.0 * $1.1 }
                    for row in 0..<rows { vector[row] -= projection * q[row] }
                }
            }
            let norm = vector.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            if norm > 1e-9 * largest, norm > 0 { basis.append(vector.map { $0 / norm }) }
        }
        return ((0..<(rows * basis.count)).map { basis[$0 % basis.count][$0 / basis.count] }, basis.count)
    }

    /// Singular values, descending, by one-sided Jacobi rotations on the columns.
    static func singularValues(_ matrix: [Double], rows: Int, columns: Int) -> [Double] {
        var x = matrix
        for _ in 0..<60 {
            var rotated = false
            for p in 0..<columns {
                for q in (p + 1)..<max(columns, p + 1) {
                    var (alpha, beta, gamma) = (0.0, 0.0, 0.0)
                    for row in 0..<rows {
                        let (xp, xq) = (x[row * columns + p], x[row * columns + q])
                        alpha += xp * xp
                        beta += xq * xq
                        gamma += xp * xq
                    }
                    guard abs(gamma) > 1e-15 * (alpha * beta).squareRoot(), gamma != 0 else { continue }
                    rotated = true
                    let zeta = (beta - alpha) / (2 * gamma)
                    let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                    let c = 1 / (1 + t * t).squareRoot(), s = c * t
                    for row in 0..<rows {
                        let (xp, xq) = (x[row * columns + p], x[row * columns + q])
                        x[row * columns + p] = c * xp - s * xq
                        x[row * columns + q] = s * xp + c * xq
                    }
                }
            }
            if !rotated { break }
        }
        let norms = (0..<columns).map { columnNorm(x, rows: rows, columns: columns, column: $0) }
        return Array(norms.sorted(by: >).prefix(min(rows, columns)))
    }

    static func columnNorm(_ matrix: [Double], rows: Int, columns: Int, column: Int) -> Double {
        var total = 0.0
        for row in 0..<rows { total += matrix[row * columns + column] * matrix[row * columns + column] }
        return total.squareRoot()
    }
}
