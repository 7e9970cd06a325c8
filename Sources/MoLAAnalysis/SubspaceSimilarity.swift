import Foundation
import MoLACheckpoint
import MoLATensor

/// The normalised subspace similarity between the experts of one projection, with the
/// principal angles between their column (or row) spaces.
///
/// ```
/// U_i = Q_B,i U_c,i[:, :k_i]        orthonormal basis of the column space of dW_i (ExpertFactors)
/// M_ij = U_i^T U_j = U_c,i^T (Q_B,i^T Q_B,j) U_c,j          [k_i, k_j], from the r x r blocks
///        of one Gram of the stacked Q's, so no d x d matrix is formed
/// phi_ij = |M_ij|_F^2 / min(k_i, k_j)       (= |U_i^T U_j|_F^2 / r for experts of full rank r)
/// cos(theta_ij) = the singular values of M_ij               (principal angles, ascending)
/// ```
/// 1 means the same subspace, 0 orthogonal ones.
/// ([LoRA, arXiv 2106.09685](https://arxiv.org/abs/2106.09685), section 7.2, equation 4.)
enum SubspaceSimilarity {
    /// - Parameter allowingUntrained: experts of rank 0 (dW zero) give NaN pairs instead of an error.
    static func analyze(_ projection: ProjectionAdapter, file: any TensorFile, side: SubspaceSide, allowingUntrained: Bool,
                        workspace: Workspace) throws -> ProjectionRedundancy {
        let factors = try ExpertFactors(projection, file: file, side: side, workspace: workspace)
        let (experts, r, k, rows) = (projection.expertCount, projection.rank, factors.rank, factors.coreRows)
        let ranks = (0..<experts).map(factors.numericalRank)
        let zero = ranks.indices.filter { ranks[$0] == 0 }
        if !zero.isEmpty && !allowingUntrained {
            throw AnalysisError.zeroExperts(file: file.path, tensors: zero.map { projection.experts[$0].b }, metric: "the subspace similarity")
        }
        // Stacked Q is [d, E r] column-major = [E r, d] row-major: its row Gram is Q^T Q.
        let width = experts * r
        let gram = workspace.buffer(13, count: width * width)
        LinearAlgebra.gramOfRows(factors.bases, rows: width, columns: factors.baseRows, into: gram)
        var pairs: [ExpertPairDistance] = []
        var angles: [[Double]] = []
        for first in 0..<experts {
            for second in (first + 1)..<max(experts, first + 1) {
                let (ki, kj) = (ranks[first], ranks[second])
                // An untrained expert (rank 0) has no space to compare.
                guard ki > 0, kj > 0 else {
                    pairs.append(ExpertPairDistance(first: first, second: second, distance: .nan))
                    angles.append([])
                    continue
                }
                let (ui, uj) = (factors.coreVectors[first], factors.coreVectors[second])
                // T = G_ij U_j: [rows, kj]; M = U_i^T T: [ki, kj].
                var t = [Double](repeating: 0, count: rows * kj)
                for a in 0..<rows {
                    for b in 0..<kj {
                        var total = 0.0
                        for c in 0..<rows { total += gram[(first * r + a) * width + second * r + c] * uj[c * k + b] }
                        t[a * kj + b] = total
                    }
                }
                var m = [Double](repeating: 0, count: ki * kj)
                for a in 0..<ki { for b in 0..<kj { for c in 0..<rows { m[a * kj + b] += ui[c * k + a] * t[c * kj + b] } } }
                var cosines = [Double](repeating: 0, count: min(ki, kj))
                try m.withUnsafeBufferPointer { matrix in
                    try cosines.withUnsafeMutableBufferPointer { values in
                        do {
                            try LinearAlgebra.singularValueDecomposition(matrix, rows: ki, columns: kj, singularValues: values, vectors: nil)
                        } catch let LinearAlgebraError.lapackFailed(routine, info) {
                            throw AnalysisError.lapackFailed(file: file.path, tensor: projection.experts[first].b + " and " + projection.experts[second].b,
                                                             routine: routine, info: info)
                        }
                    }
                }
                let phi = m.reduce(0) { $0 + $1 * $1 } / Double(min(ki, kj))
                pairs.append(ExpertPairDistance(first: first, second: second, distance: min(1, phi)))
                angles.append(cosines.map { acos(min(1, max(0, $0))) })
            }
        }
        var result = ProjectionRedundancy(layer: projection.layer, kind: projection.kind, expertCount: experts, rank: r, scale: projection.scale,
                                          pairs: pairs, norms: factors.singularValues.map { ($0.reduce(0) { $0 + $1 * $1 }).squareRoot() },
                                          nonFiniteTensors: [])
        result.principalAngles = angles
        result.untrainedExperts = zero
        return result
    }
}
