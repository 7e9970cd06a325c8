import Dispatch
import Foundation
import MoLACheckpoint
import MoLAFiles
import MoLATensor

/// Pairwise Frobenius distances between the experts of every layer (the paper's Figure 3).
///
/// For experts `i`, `j` of one projection, with `dW_i = s B_i A_i`:
/// ```
/// <dW_i, dW_j>_F = s^2 * sum_pq (A_i A_j^T)[p,q] * (B_i^T B_j)[p,q]
/// ||dW_i - dW_j||_F^2 = <dW_i, dW_i> + <dW_j, dW_j> - 2 <dW_i, dW_j>
/// ```
/// Both Gram matrices come from one BLAS call each over the stacked experts
/// (`A` stacked is `[E r, d_in]`, `B` side by side is `[d_out, E r]`), accumulated in Double,
/// so no `d_out x d_in` matrix is ever formed. When two experts are nearly equal the identity
/// cancels (`dist^2 << |dW_i|^2 + |dW_j|^2`); those pairs are recomputed from the difference
/// itself (`ExpertDifference`), which carries no cancellation; bitwise-equal experts are grouped
/// (`IdenticalExperts`, once the first such pair appears) and given 0 without arithmetic.
/// ([MoLA, arXiv 2402.08562](https://arxiv.org/abs/2402.08562), section 5, Figure 3.)
public enum RedundancyAnalyzer {
    /// Pairs whose Gram-identity distance squared is below this share of `|W_i|^2 + |W_j|^2`
    /// are recomputed from the difference. The identity's error is about 1e-14 of that sum, so
    /// every pair kept from it is accurate to about 1e-10 relative.
    static let cancellationThreshold = 1e-4

    /// Analyses every selected projection of `adapter`, in parallel across projections.
    ///
    /// - Parameters:
    ///   - progress: called with (done, total) projections as work completes, from any thread.
    /// - Throws: errors of reading tensor values (unsupported element types).
    public static func analyze(_ adapter: MoLAAdapter, options: RedundancyOptions,
                               progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> RedundancyReport {
        // Largest first, so the last projections to finish are small ones.
        let work = adapter.projections.filter { options.projections.contains($0.kind) }
        let order = work.indices.sorted { work[$0].parameterCount > work[$1].parameterCount }
        let results = ResultSlots<ProjectionRedundancy>(count: work.count)
        let threads = max(1, min(options.threadCount, work.count))
        // Each worker makes single-threaded BLAS calls; a lone worker may use them all.
        LinearAlgebra.setBLASThreadCount(threads == 1 ? max(1, options.threadCount) : 1)
        let next = Counter()
        let done = Counter()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let workspace = Workspace()
            while let position = next.increment(below: order.count) {
                let index = order[position]
                results.store(index) { try analyze(work[index], file: adapter.file, options: options, workspace: workspace) }
                progress?(done.increment(below: .max)! + 1, work.count)
            }
        }
        let projections = try results.values()
        let layers = adapter.layers.compactMap { layer -> LayerRedundancy? in
            let selected = projections.filter { $0.layer == layer.index }
            return selected.isEmpty ? nil : LayerRedundancy(layer: layer.index, projections: selected)
        }
        var report = RedundancyReport(metric: options.metric, scaled: options.scaled, layers: layers)
        if options.metric == .subspace { report.side = options.side }
        return report
    }

    /// Distances of one projection's experts.
    public static func analyze(_ projection: ProjectionAdapter, file: any TensorFile,
                               options: RedundancyOptions) throws -> ProjectionRedundancy {
        try analyze(projection, file: file, options: options, workspace: Workspace())
    }

    static func analyze(_ projection: ProjectionAdapter, file: any TensorFile, options: RedundancyOptions,
                        workspace: Workspace) throws -> ProjectionRedundancy {
        switch options.metric {
        case .subspace: return try SubspaceSimilarity.analyze(projection, file: file, side: options.side,
                                                                allowingUntrained: options.allowingUntrained, workspace: workspace)
        case .router: return try RouterSimilarity.analyze(projection, file: file)
        case .delta, .a, .b, .cosine: break
        }
        // Cosine reads the Grams of delta.
        let metric: RedundancyMetric = options.metric == .cosine ? .delta : options.metric
        let experts = projection.expertCount
        let rank = projection.rank
        let width = experts * rank
        let scale = metric == .delta && options.scaled ? projection.scale : 1
        let needsA = metric != .b
        let needsB = metric != .a
        // A stacked: [E r, d_in]; B side by side: [d_out, E r]; their Grams: [E r, E r].
        // The buffers below, the difference path's scratch and the pairs (3 words each), added
        // up overflow-checked before any product of the file's sizes is formed.
        let doubleBytes = MemoryLayout<Double>.size
        var memory = MemoryEstimate()
        memory.add(needsA ? experts : 0, rank, projection.inputWidth, elementBytes: doubleBytes)
        memory.add(needsB ? experts : 0, rank, projection.outputWidth, elementBytes: doubleBytes)
        memory.add(2, experts, rank, experts, rank, elementBytes: doubleBytes)
        memory.add(2, rank, projection.inputWidth + projection.outputWidth + 4 * rank, elementBytes: doubleBytes)
        memory.add(experts, experts, 3, elementBytes: MemoryLayout<Int>.size)
        try memory.require(for: "the distances of \(projection.label) (\(experts) experts of rank \(rank))")
        let counts = (stackedA: needsA ? width * projection.inputWidth : 0, sideBySideB: needsB ? projection.outputWidth * width : 0,
                      gram: width * width)
        let scratchCounts = ExpertDifference.scratchCounts(projection)
        let stackedA = workspace.buffer(0, count: counts.stackedA)
        let sideBySideB = workspace.buffer(1, count: counts.sideBySideB)
        let gramA = workspace.buffer(2, count: needsA ? counts.gram : 0)
        let gramB = workspace.buffer(3, count: needsB ? counts.gram : 0)
        for (expert, names) in projection.experts.enumerated() {
            if needsA {
                let block = rank * projection.inputWidth
                try file.record(named: names.a).read(into: UnsafeMutableBufferPointer(rebasing: stackedA[(expert * block)...]))
            }
            if needsB {
                try file.record(named: names.b).read(into: UnsafeMutableBufferPointer(rebasing: sideBySideB[(expert * rank)...]),
                                                     rowStride: width)
            }
        }
        if needsA {
            LinearAlgebra.gramOfRows(UnsafeBufferPointer(stackedA), rows: width, columns: projection.inputWidth, into: gramA)
        }
        if needsB {
            LinearAlgebra.gramOfColumns(UnsafeBufferPointer(sideBySideB), rows: projection.outputWidth, columns: width, into: gramB)
        }
        let grams = ExpertGrams(metric: metric, rank: rank, width: width,
                                gramA: UnsafeBufferPointer(gramA), gramB: UnsafeBufferPointer(gramB))
        // A non-finite element makes its row's (or column's) Gram diagonal non-finite.
        var nonFinite: [String] = []
        var finite = [Bool](repeating: true, count: experts)
        for expert in 0..<experts {
            if needsA, !grams.diagonalIsFinite(gramA, expert) {
                nonFinite.append(projection.experts[expert].a)
                finite[expert] = false
            }
            if needsB, !grams.diagonalIsFinite(gramB, expert) {
                nonFinite.append(projection.experts[expert].b)
                finite[expert] = false
            }
        }
        let difference = ExpertDifference(projection: projection, grams: grams, stackedA: UnsafeBufferPointer(stackedA),
                                          sideBySideB: UnsafeBufferPointer(sideBySideB),
                                          scratch: (workspace.buffer(4, count: scratchCounts.r), workspace.buffer(5, count: scratchCounts.l),
                                                    workspace.buffer(6, count: scratchCounts.gram),
                                                    workspace.buffer(7, count: scratchCounts.gram)))
        // Found only when a pair first needs the difference path: experts that are far apart
        // (the usual case) never pay for the pass over their values.
        var identical: IdenticalExperts?
        let squaredNorms = (0..<experts).map { grams.inner($0, $0) }
        if options.metric == .cosine {
            let zero = squaredNorms.indices.filter { finite[$0] && squaredNorms[$0] <= 0 }
            if !zero.isEmpty && !options.allowingUntrained {
                throw AnalysisError.zeroExperts(file: file.path, tensors: zero.map { projection.experts[$0].b }, metric: "cosine")
            }
            var result = ProjectionRedundancy(layer: projection.layer, kind: projection.kind, expertCount: experts, rank: rank, scale: scale,
                                              pairs: cosines(grams: grams, squaredNorms: squaredNorms, usable: (0..<experts).map { finite[$0] && !zero.contains($0) }),
                                              norms: squaredNorms.map { abs(scale) * max($0, 0).squareRoot() }, nonFiniteTensors: nonFinite)
            result.untrainedExperts = zero
            return result
        }
        var pairs: [ExpertPairDistance] = []
        pairs.reserveCapacity(experts * (experts - 1) / 2)
        for first in 0..<experts {
            for second in (first + 1)..<max(experts, first + 1) {
                guard finite[first], finite[second] else {
                    pairs.append(ExpertPairDistance(first: first, second: second, distance: .nan))
                    continue
                }
                let sumOfNorms = squaredNorms[first] + squaredNorms[second]
                var squared = sumOfNorms - 2 * grams.inner(first, second)
                if squared <= cancellationThreshold * sumOfNorms {
                    let groups = identical ?? IdenticalExperts(experts: experts, rank: rank, inputWidth: projection.inputWidth,
                                                               outputWidth: projection.outputWidth, metric: metric,
                                                               stackedA: UnsafeBufferPointer(stackedA),
                                                               sideBySideB: UnsafeBufferPointer(sideBySideB))
                    identical = groups
                    squared = groups.group[first] == groups.group[second] ? 0 : difference.squaredNorm(first, second)
                }
                pairs.append(ExpertPairDistance(first: first, second: second,
                                                distance: abs(scale) * max(squared, 0).squareRoot()))
            }
        }
        return ProjectionRedundancy(layer: projection.layer, kind: projection.kind, expertCount: experts, rank: rank,
                                    scale: scale, pairs: pairs,
                                    norms: squaredNorms.map { abs(scale) * max($0, 0).squareRoot() },
                                    nonFiniteTensors: nonFinite)
    }

    /// `<dW_i, dW_j> / (|dW_i| |dW_j|)` for every pair, from the Grams of `delta` (the scale
    /// cancels); NaN for a pair with an expert that is not `usable` (not finite, or zero).
    static func cosines(grams: ExpertGrams, squaredNorms: [Double], usable: [Bool]) -> [ExpertPairDistance] {
        var pairs: [ExpertPairDistance] = []
        for first in 0..<usable.count {
            for second in (first + 1)..<max(usable.count, first + 1) {
                let value = usable[first] && usable[second]
                    ? grams.inner(first, second) / (squaredNorms[first].squareRoot() * squaredNorms[second].squareRoot()) : .nan
                pairs.append(ExpertPairDistance(first: first, second: second, distance: value.isNaN ? value : min(1, max(-1, value))))
            }
        }
        return pairs
    }
}
