import Foundation
import MoLACheckpoint

/// An allocation from a trained checkpoint's measured redundancy (and routing, when known):
/// layers whose experts came out alike get fewer, layers whose experts differ get more, as the
/// paper's Figure 3 argues for its inverted triangle ([MoLA, arXiv 2402.08562](https://arxiv.org/abs/2402.08562)).
///
/// ```
/// rho_l = mean over the layer's attention projections of  mean_{i<j} ||dW_i - dW_j||_F / mean_i ||dW_i||_F
///         (the caller's projections: `advise` takes those that hold experts where no attention one does)
/// h_l   = mean over the layer's routed projections (more than one expert) of the normalised
///         entropy of the routing shares                       (1 without data or routed projections)
/// w_l   = rho_l * h_l
/// E_l   = ExpertApportionment.largestRemainder(w, T)          (at least one expert a layer)
/// ```
/// `rho` is scale-free, so a layer whose updates are merely larger does not win experts; `h`
/// discounts a layer whose router sends its tokens to few of its experts. A layer with no pair
/// (one expert) or no trained expert has no `rho`: it takes the mean of the others'.
public enum RedundancyAllocator {
    /// - Parameters:
    ///   - report: the `delta` redundancy of the attention projections.
    ///   - expertsPerLayer: the checkpoint's allocation.
    ///   - entropies: per layer, the mean normalised routing entropy (nil: no routing data).
    ///   - total: the experts to share.
    /// - Throws: `AnalysisError` from `ExpertApportionment.apportion`.
    public static func advise(report: RedundancyReport, expertsPerLayer: [Int], entropies: [Double]?, source: String,
                              total: Int) throws -> AllocationAdvice {
        let measured = expertsPerLayer.indices.map { index -> (distance: Double?, norm: Double?, relative: Double?) in
            let projections = report.layers.first { $0.layer == index }?.projections ?? []
            let usable = projections.compactMap { projection -> (Double, Double)? in
                let norm = projection.norms.reduce(0, +) / Double(max(projection.norms.count, 1))
                guard let mean = projection.mean, norm > 0 else { return nil }
                return (mean, norm)
            }
            guard !usable.isEmpty else { return (nil, nil, nil) }
            let count = Double(usable.count)
            return (usable.map(\.0).reduce(0, +) / count, usable.map(\.1).reduce(0, +) / count,
                    usable.map { $0.0 / $0.1 }.reduce(0, +) / count)
        }
        let known = measured.compactMap(\.relative)
        let fallback = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
        let weights = measured.indices.map { (measured[$0].relative ?? fallback) * (entropies?[$0] ?? 1) }
        let allocation = try ExpertApportionment.largestRemainder.apportion(weights, total: total)
        let layers = measured.indices.map { layer in
            var evidence = AllocationAdvice.Evidence(weight: weights[layer])
            evidence.expertsNow = expertsPerLayer[layer]
            (evidence.meanDistance, evidence.meanNorm, evidence.relativeDistance) = measured[layer]
            evidence.normalisedEntropy = entropies?[layer]
            return AllocationAdvice.Layer(layer: layer, experts: allocation[layer], evidence: evidence)
        }
        return AllocationAdvice(method: entropies == nil ? "redundancy" : "redundancy+routing", source: source, total: total,
                                allocation: allocation, rounding: .largestRemainder, layers: layers)
    }
}
