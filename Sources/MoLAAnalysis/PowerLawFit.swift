import Foundation
import MoLATensor

/// Which lower bound the search for `x_min` uses (the upper bound is `1.5 x_peak` in both).
///
/// AlphaLoRA's `expert_number.py` computes the window's lower bound as `log10(0.95 x_peak)`
/// and compares eigenvalues (not their logarithms) with it, so the bound lies far below
/// `0.95 x_peak` (for `x_peak` below 1 it is negative) and every eigenvalue up to `1.5 x_peak`
/// is tried. `reference` keeps that; `corrected` uses `0.95 x_peak` as surely meant.
public enum PowerLawWindow: String, Sendable, Codable, CaseIterable {
    case reference
    case corrected
}

/// The power-law exponent of one weight matrix's empirical spectral density, fitted as
/// AlphaLoRA does ([Qing et al., EMNLP 2024](https://arxiv.org/abs/2410.18035); heavy-tailed
/// self-regularisation, Martin and Mahoney).
///
/// ```
/// lambda_0 <= ... <= lambda_{N-1}     the eigenvalues of W^T W (squared singular values of W), N = min(rows, columns)
/// x_peak = 10^(left edge of the fullest of 100 equal bins of log10 lambda)
/// for each lambda_i = x_min in the window (PowerLawWindow), i < N - 1:
///     n       = N - i
///     alpha_i = 1 + n / (sum_{k >= i} ln lambda_k - n ln lambda_i)                    (Hill estimator)
///     D_i     = max_{k < n} | 1 - (lambda_{i+k} / lambda_i)^(1 - alpha_i) - k / n |   (Kolmogorov-Smirnov, when alpha_i > 1)
/// alpha = alpha_i of the smallest D_i
/// ```
/// As in the reference, candidates outside the window keep `alpha = 0, D = 1`, and one with
/// `alpha_i <= 1` keeps `D = 1`; the first smallest `D` wins, so when no candidate fits
/// (every `D` is 1) the answer is candidate 0's alpha, which is 0 when candidate 0 lay outside
/// the window.
public struct PowerLawFit: Sendable, Codable, Equatable {
    /// The fitted exponent.
    public let alpha: Double
    /// The chosen `x_min` (nil when no candidate was in the window).
    public let xMin: Double?
    /// The Kolmogorov-Smirnov distance of the chosen fit (1: none fitted).
    public let distance: Double
    /// `x_peak`: where the histogram of `log10 lambda` is fullest.
    public let peak: Double
    /// `N`, the eigenvalues fitted.
    public let eigenvalueCount: Int
    /// Eigenvalues at or above `x_min`.
    public let tailCount: Int

    /// Fewest eigenvalues a fit is attempted on: below it a 100-bin histogram and a tail fit
    /// mean nothing.
    public static let minimumEigenvalueCount = 32
    /// Bins of the histogram that finds `x_peak` (the reference's default).
    public static let binCount = 100

    /// Fits `eigenvalues` (any order, all positive and finite, at least `minimumEigenvalueCount`).
    public init(eigenvalues unsorted: [Double], window: PowerLawWindow) {
        precondition(unsorted.count >= 2 && unsorted.allSatisfy { $0 > 0 && $0.isFinite }, "PowerLawFit: needs positive eigenvalues")
        let eigenvalues = unsorted.sorted()
        let count = eigenvalues.count
        let logs = eigenvalues.map { Foundation.log($0) }
        peak = Self.histogramPeak(eigenvalues)
        let lower = switch window {
        case .reference: log10(0.95 * peak)
        case .corrected: 0.95 * peak
        }
        let upper = 1.5 * peak
        var alphas = [Double](repeating: 0, count: count - 1), distances = [Double](repeating: 1, count: count - 1)
        // Suffix sums of ln lambda, so each candidate's Hill estimate is O(1).
        var suffix = [Double](repeating: 0, count: count + 1)
        for index in stride(from: count - 1, through: 0, by: -1) { suffix[index] = suffix[index + 1] + logs[index] }
        var inWindow = [Bool](repeating: false, count: count - 1)
        for index in 0..<(count - 1) {
            let xMin = eigenvalues[index]
            if xMin < lower { continue }
            if xMin > upper { break }
            inWindow[index] = true
            let n = Double(count - index)
            let alpha = 1 + n / (suffix[index] - n * logs[index])
            alphas[index] = alpha
            guard alpha > 1 else { continue }
            var largest = 0.0
            for k in 0..<(count - index) {
                largest = max(largest, abs(1 - pow(eigenvalues[index + k] / xMin, 1 - alpha) - Double(k) / n))
            }
            distances[index] = largest
        }
        // The first smallest distance, as torch.argmin picks it.
        var chosen = 0
        for index in distances.indices where distances[index] < distances[chosen] { chosen = index }
        alpha = alphas[chosen]
        distance = distances[chosen]
        let fitted = inWindow[chosen]
        xMin = fitted ? eigenvalues[chosen] : nil
        tailCount = fitted ? count - chosen : 0
        eigenvalueCount = count
    }

    /// `10^b`, with `b` the left edge of the fullest of `binCount` equal bins spanning
    /// `[min, max]` of `log10 lambda` (the first fullest; the maximum falls in the last bin),
    /// as `torch.histc` bins.
    public static func histogramPeak(_ eigenvalues: [Double]) -> Double {
        let logs = eigenvalues.map { log10($0) }
        let low = logs.min()!, high = logs.max()!
        guard high > low else { return pow(10, low) }
        var counts = [Int](repeating: 0, count: binCount)
        for value in logs {
            counts[min(Int((value - low) / (high - low) * Double(binCount)), binCount - 1)] += 1
        }
        var fullest = 0
        for bin in counts.indices where counts[bin] > counts[fullest] { fullest = bin }
        return pow(10, low + Double(fullest) * (high - low) / Double(binCount))
    }
}

extension PowerLawFit {
    /// The eigenvalues of `W^T W` for a row-major `[rows, columns]` matrix, ascending: those of
    /// the Gram matrix of its shorter side (`W W^T` or `W^T W`, in Float64), so `min(rows, columns)`
    /// of them, the squared singular values.
    ///
    /// - Throws: `LinearAlgebraError` from LAPACK.
    public static func eigenvalues(of matrix: [Float], rows: Int, columns: Int) throws(LinearAlgebraError) -> [Double] {
        precondition(matrix.count == rows * columns, "eigenvalues: \(matrix.count) values for [\(rows), \(columns)]")
        let size = min(rows, columns)
        let wide = matrix.map(Double.init)
        var gram = [Double](repeating: 0, count: size * size)
        var values = [Double](repeating: 0, count: size)
        try wide.withUnsafeBufferPointer { (source) throws(LinearAlgebraError) in
            try gram.withUnsafeMutableBufferPointer { (gram) throws(LinearAlgebraError) in
                if rows <= columns {
                    LinearAlgebra.gramOfRows(source, rows: rows, columns: columns, into: gram)
                } else {
                    LinearAlgebra.gramOfColumns(source, rows: rows, columns: columns, into: gram)
                }
                try values.withUnsafeMutableBufferPointer { (values) throws(LinearAlgebraError) in
                    try LinearAlgebra.symmetricEigenvalues(UnsafeBufferPointer(gram), size: size, values: values)
                }
            }
        }
        return values
    }
}
