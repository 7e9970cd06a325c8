import Foundation
import MoLACheckpoint
import MoLATensor

/// AlphaLoRA's training-free allocation ([Qing et al., EMNLP 2024](https://arxiv.org/abs/2410.18035);
/// the authors' `expert_number.py`): experts per layer from the heavy-tailedness of the base's
/// own weights.
///
/// ```
/// alpha_l = mean over the layer's linear maps W (q k v o gate up down) of PowerLawFit(eig(W^T W)).alpha
/// w_l     = alpha_l ^ beta                                      (beta 2.5 by default)
/// E_l     = ExpertApportionment(w, T)                           (reference rounding by default)
/// ```
/// A larger alpha means a less heavy-tailed spectrum, a layer less trained by pretraining, so
/// it gets more experts.
public enum AlphaLoRAAllocator {
    /// The reference script's default beta.
    public static let defaultBeta = 2.5

    /// One base weight matrix, `[rows, columns]` row-major.
    public struct Matrix: Sendable {
        public let kind: ProjectionKind
        public let name: String
        public let rows: Int
        public let columns: Int
        public let values: [Float]

        public init(kind: ProjectionKind, name: String, rows: Int, columns: Int, values: [Float]) {
            (self.kind, self.name, self.rows, self.columns, self.values) = (kind, name, rows, columns, values)
        }
    }

    /// Every matrix's fit, per layer.
    ///
    /// - Parameters:
    ///   - layerCount: the base's layers.
    ///   - matrices: the linear maps of one layer (asked once per layer, so only one layer's
    ///     weights need be in memory at a time).
    /// - Throws: `AnalysisError.matrixTooSmallForPowerLaw`, `.nonPositiveEigenvalues`, `.lapackFailed`.
    public static func fits(layerCount: Int, window: PowerLawWindow,
                            matrices: (Int) throws -> [Matrix]) throws -> [ProjectionTable<PowerLawFit>] {
        try (0..<layerCount).map { layer in
            let entries = try matrices(layer).map { matrix in
                guard min(matrix.rows, matrix.columns) >= PowerLawFit.minimumEigenvalueCount else {
                    throw AnalysisError.matrixTooSmallForPowerLaw(tensor: matrix.name, rows: matrix.rows, columns: matrix.columns,
                                                                  minimum: PowerLawFit.minimumEigenvalueCount)
                }
                let eigenvalues: [Double]
                do {
                    eigenvalues = try PowerLawFit.eigenvalues(of: matrix.values, rows: matrix.rows, columns: matrix.columns)
                } catch let LinearAlgebraError.lapackFailed(routine, info) {
                    throw AnalysisError.lapackFailed(file: "base", tensor: matrix.name, routine: routine, info: info)
                }
                // Below N eps lambda_max an eigenvalue is rounding noise around zero (LAPACK's rank rule).
                let floor = (eigenvalues.last ?? 0) * Double(eigenvalues.count) * Double.ulpOfOne
                let bad = eigenvalues.filter { !($0 > floor) || !$0.isFinite }.count
                guard bad == 0 else { throw AnalysisError.nonPositiveEigenvalues(tensor: matrix.name, count: bad) }
                return (kind: matrix.kind, value: PowerLawFit(eigenvalues: eigenvalues, window: window))
            }
            return ProjectionTable(entries)
        }
    }

    /// The advice from `fits`: each layer's mean alpha, raised to `beta`, apportioned to `total`.
    ///
    /// - Throws: `AnalysisError` from `ExpertApportionment.apportion`.
    public static func advise(fits: [ProjectionTable<PowerLawFit>], source: String, total: Int, beta: Double,
                              window: PowerLawWindow, rounding: ExpertApportionment) throws -> AllocationAdvice {
        let alphas = fits.map { layer in layer.entries.map(\.value.alpha).reduce(0, +) / Double(max(layer.entries.count, 1)) }
        let weights = alphas.map { pow($0, beta) }
        let allocation = try rounding.apportion(weights, total: total)
        let layers = fits.indices.map { layer in
            var evidence = AllocationAdvice.Evidence(weight: weights[layer])
            evidence.alpha = alphas[layer]
            evidence.matrixAlphas = ProjectionTable(fits[layer].entries.map { (kind: $0.kind, value: $0.value.alpha) })
            return AllocationAdvice.Layer(layer: layer, experts: allocation[layer], evidence: evidence)
        }
        return AllocationAdvice(method: "alphalora", source: source, total: total, allocation: allocation, rounding: rounding,
                                beta: beta, window: window, layers: layers)
    }
}
