import Dispatch
import Foundation
import MoLACheckpoint
import MoLATensor

/// One expert's singular values and the measures drawn from them.
public struct ExpertSpectrum: Sendable {
    public let expert: Int
    /// The singular values of `dW_i = s B_i A_i`, descending (`min(r, d_in, d_out)` of them).
    public let singularValues: [Double]
    /// The measures; nil for an expert whose `dW_i` is zero (no direction to share energy over).
    public let measures: SpectrumMeasures?
}

/// Roy and Vetterli's effective rank, the stable rank, and the top direction's share of energy.
///
/// ```
/// p_k = sigma_k / sum sigma          effective rank = exp(-sum p_k log p_k)      in [1, r]
/// stable rank = sum sigma^2 / sigma_1^2                                          in [1, r]
/// top share   = sigma_1^2 / sum sigma^2                                          in [1/r, 1]
/// ```
/// ([Roy and Vetterli, EUSIPCO 2007](https://infoscience.epfl.ch/record/110188).)
public struct SpectrumMeasures: Sendable, Equatable {
    public let effectiveRank: Double
    public let stableRank: Double
    public let topShare: Double

    /// nil when every value is zero.
    public init?(singularValues values: [Double]) {
        let sum = values.reduce(0, +)
        let energy = values.reduce(0) { $0 + $1 * $1 }
        guard sum > 0, energy > 0, let top = values.max() else { return nil }
        let entropy = values.filter { $0 > 0 }.reduce(0.0) { total, value in
            let p = value / sum
            return total - p * log(p)
        }
        effectiveRank = exp(entropy)
        stableRank = energy / (top * top)
        topShare = top * top / energy
    }
}

/// The spectra of one projection's experts.
public struct ProjectionSpectrum: Sendable {
    public let layer: Int
    public let kind: ProjectionKind
    public let rank: Int
    public let experts: [ExpertSpectrum]

    /// The mean of a measure over the experts that have one; nil when none has.
    public func mean(_ measure: (SpectrumMeasures) -> Double) -> Double? {
        finiteMean(experts.compactMap { $0.measures.map(measure) })
    }
}

public struct LayerSpectrum: Sendable {
    public let layer: Int
    public let projections: [ProjectionSpectrum]

    /// The mean effective rank over every expert of every projection of the layer.
    public var meanEffectiveRank: Double? {
        finiteMean(projections.flatMap { $0.experts.compactMap { $0.measures?.effectiveRank } })
    }
}

public struct SpectrumReport: Sendable {
    public let layers: [LayerSpectrum]
}

/// Every expert's singular values, from thin QR factorisations of `B_i` and `A_i^T` and the SVD
/// of the `r x r` core (`ExpertFactors`), never from the `d_out x d_in` matrix.
public enum SpectrumAnalyzer {
    /// - Parameters:
    ///   - allowingZeroExperts: give zero experts nil measures instead of throwing (`check`
    ///     reports them itself, as `untrained_expert`).
    /// - Throws: `AnalysisError.zeroExperts` (unless allowed), `.nonFiniteValues`, `.lapackFailed`.
    public static func analyze(_ adapter: MoLAAdapter, projections kinds: Set<ProjectionKind>, threadCount: Int = 1,
                               allowingZeroExperts: Bool = false,
                               progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> SpectrumReport {
        let work = adapter.projections.filter { kinds.contains($0.kind) }
        let order = work.indices.sorted { work[$0].parameterCount > work[$1].parameterCount }
        let results = ResultSlots<ProjectionSpectrum>(count: work.count)
        let threads = max(1, min(threadCount, work.count))
        LinearAlgebra.setBLASThreadCount(1)
        let next = Counter(), done = Counter()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let workspace = Workspace()
            while let position = next.increment(below: order.count) {
                let index = order[position]
                results.store(index) {
                    try analyze(work[index], file: adapter.file, allowingZeroExperts: allowingZeroExperts, workspace: workspace)
                }
                progress?(done.increment(below: .max)! + 1, work.count)
            }
        }
        let spectra = try results.values()
        return SpectrumReport(layers: adapter.layers.compactMap { layer in
            let selected = spectra.filter { $0.layer == layer.index }
            return selected.isEmpty ? nil : LayerSpectrum(layer: layer.index, projections: selected)
        })
    }

    static func analyze(_ projection: ProjectionAdapter, file: any TensorFile, allowingZeroExperts: Bool,
                        workspace: Workspace) throws -> ProjectionSpectrum {
        let factors = try ExpertFactors(projection, file: file, side: nil, workspace: workspace)
        let experts = factors.singularValues.enumerated().map { expert, values in
            ExpertSpectrum(expert: expert, singularValues: values, measures: SpectrumMeasures(singularValues: values))
        }
        let zero = experts.filter { $0.measures == nil }.map { projection.experts[$0.expert].b }
        if !allowingZeroExperts, !zero.isEmpty {
            throw AnalysisError.zeroExperts(file: file.path, tensors: zero, metric: "the spectrum's measures")
        }
        return ProjectionSpectrum(layer: projection.layer, kind: projection.kind, rank: projection.rank, experts: experts)
    }
}
