import Dispatch
import Foundation
import MoLACheckpoint
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
/// itself, which carries no cancellation:
/// ```
/// dW_i - dW_j = s (B_i D_A + D_B A_j)      D_A = A_i - A_j,  D_B = B_i - B_j
/// ||.||^2 = s^2 ( <B_i^T B_i, D_A D_A^T> + 2 <B_i^T D_B, D_A A_j^T> + <D_B^T D_B, A_j A_j^T> )
/// ```
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
        let work = adapter.projections.filter { options.projections.contains($0.kind) }
        let results = ResultSlots<ProjectionRedundancy>(count: work.count)
        let threads = max(1, min(options.threadCount, work.count))
        // Each worker makes single-threaded BLAS calls; one worker may use them all.
        LinearAlgebra.setBLASThreadCount(threads == 1 ? max(1, options.threadCount) : 1)
        let next = Counter()
        let done = Counter()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let index = next.increment(below: work.count) {
                results.store(index) { try analyze(work[index], file: adapter.file, options: options) }
                progress?(done.increment(below: .max)! + 1, work.count)
            }
        }
        let projections = try results.values()
        let layers = adapter.layers.compactMap { layer -> LayerRedundancy? in
            let selected = projections.filter { $0.layer == layer.index }
            return selected.isEmpty ? nil : LayerRedundancy(layer: layer.index, projections: selected)
        }
        return RedundancyReport(metric: options.metric, scaled: options.scaled, layers: layers)
    }

    /// Distances of one projection's experts.
    public static func analyze(_ projection: ProjectionAdapter, file: any TensorFile,
                               options: RedundancyOptions) throws -> ProjectionRedundancy {
        let experts = projection.expertCount
        let rank = projection.rank
        let width = experts * rank
        let scale = options.metric == .delta && options.scaled ? projection.scale : 1
        let needsA = options.metric != .b
        let needsB = options.metric != .a
        // A stacked: [E r, d_in]; B side by side: [d_out, E r].
        var stackedA = [Double](repeating: 0, count: needsA ? width * projection.inputWidth : 0)
        var sideBySideB = [Double](repeating: 0, count: needsB ? projection.outputWidth * width : 0)
        if needsA { try loadStackedA(projection, file: file, into: &stackedA) }
        if needsB { try loadSideBySideB(projection, file: file, into: &sideBySideB) }
        var gramA = [Double](repeating: 0, count: needsA ? width * width : 0)
        var gramB = [Double](repeating: 0, count: needsB ? width * width : 0)
        if needsA {
            stackedA.withUnsafeBufferPointer { matrix in
                gramA.withUnsafeMutableBufferPointer {
                    LinearAlgebra.gramOfRows(matrix, rows: width, columns: projection.inputWidth, into: $0)
                }
            }
        }
        if needsB {
            sideBySideB.withUnsafeBufferPointer { matrix in
                gramB.withUnsafeMutableBufferPointer {
                    LinearAlgebra.gramOfColumns(matrix, rows: projection.outputWidth, columns: width, into: $0)
                }
            }
        }
        let blocks = ExpertBlocks(rank: rank, width: width, gramA: gramA, gramB: gramB)
        // A non-finite element makes its row's (or column's) Gram diagonal non-finite.
        var nonFinite: [String] = []
        var finite = [Bool](repeating: true, count: experts)
        for expert in 0..<experts {
            if needsA, !blocks.diagonalIsFinite(gramA, expert) {
                nonFinite.append(projection.experts[expert].a)
                finite[expert] = false
            }
            if needsB, !blocks.diagonalIsFinite(gramB, expert) {
                nonFinite.append(projection.experts[expert].b)
                finite[expert] = false
            }
        }
        let squaredNorms = (0..<experts).map { blocks.inner(options.metric, $0, $0) }
        var pairs: [ExpertPairDistance] = []
        pairs.reserveCapacity(experts * (experts - 1) / 2)
        for first in 0..<experts {
            for second in (first + 1)..<max(experts, first + 1) {
                guard finite[first], finite[second] else {
                    pairs.append(ExpertPairDistance(first: first, second: second, distance: .nan))
                    continue
                }
                let scaleOfNorms = squaredNorms[first] + squaredNorms[second]
                var squared = scaleOfNorms - 2 * blocks.inner(options.metric, first, second)
                if squared <= cancellationThreshold * scaleOfNorms {
                    squared = differenceSquared(options.metric, first, second, blocks: blocks, rank: rank,
                                                stackedA: stackedA, sideBySideB: sideBySideB,
                                                inputWidth: projection.inputWidth, outputWidth: projection.outputWidth)
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

    private static func loadStackedA(_ projection: ProjectionAdapter, file: any TensorFile,
                                     into stacked: inout [Double]) throws {
        let block = projection.rank * projection.inputWidth
        try stacked.withUnsafeMutableBufferPointer { buffer in
            for (expert, names) in projection.experts.enumerated() {
                try file.record(named: names.a).read(into: UnsafeMutableBufferPointer(rebasing: buffer[(expert * block)...]))
            }
        }
    }

    private static func loadSideBySideB(_ projection: ProjectionAdapter, file: any TensorFile,
                                        into sideBySide: inout [Double]) throws {
        let rank = projection.rank
        let width = projection.expertCount * rank
        var expertB = [Double](repeating: 0, count: projection.outputWidth * rank)
        try sideBySide.withUnsafeMutableBufferPointer { buffer in
            for (expert, names) in projection.experts.enumerated() {
                try expertB.withUnsafeMutableBufferPointer { try file.record(named: names.b).read(into: $0) }
                for row in 0..<projection.outputWidth {
                    for column in 0..<rank {
                        buffer[row * width + expert * rank + column] = expertB[row * rank + column]
                    }
                }
            }
        }
    }

    /// `||W_i - W_j||^2 / s^2` from the difference itself (for nearly equal experts).
    private static func differenceSquared(_ metric: RedundancyMetric, _ first: Int, _ second: Int,
                                          blocks: ExpertBlocks, rank: Int, stackedA: [Double],
                                          sideBySideB: [Double], inputWidth: Int, outputWidth: Int) -> Double {
        let width = blocks.width
        // D_A = A_i - A_j as [r, d_in]; D_B = B_i - B_j as [d_out, r].
        func differenceA() -> [Double] {
            (0..<(rank * inputWidth)).map { stackedA[first * rank * inputWidth + $0] - stackedA[second * rank * inputWidth + $0] }
        }
        func differenceB() -> [Double] {
            var result = [Double](repeating: 0, count: outputWidth * rank)
            for row in 0..<outputWidth {
                for column in 0..<rank {
                    result[row * rank + column] = sideBySideB[row * width + first * rank + column]
                        - sideBySideB[row * width + second * rank + column]
                }
            }
            return result
        }
        switch metric {
        case .a:
            return differenceA().reduce(0) { $0 + $1 * $1 }
        case .b:
            return differenceB().reduce(0) { $0 + $1 * $1 }
        case .delta:
            let differenceOfA = differenceA()
            let differenceOfB = differenceB()
            var total = 0.0
            for p in 0..<rank {
                for q in 0..<rank {
                    // (D_A D_A^T)[p,q], (D_A A_j^T)[p,q] over d_in.
                    var difference = 0.0, mixedA = 0.0
                    for column in 0..<inputWidth {
                        let dp = differenceOfA[p * inputWidth + column]
                        difference += dp * differenceOfA[q * inputWidth + column]
                        mixedA += dp * stackedA[(second * rank + q) * inputWidth + column]
                    }
                    // (D_B^T D_B)[p,q], (B_i^T D_B)[p,q] over d_out.
                    var differenceB = 0.0, mixedB = 0.0
                    for row in 0..<outputWidth {
                        let dq = differenceOfB[row * rank + q]
                        differenceB += differenceOfB[row * rank + p] * dq
                        mixedB += sideBySideB[row * width + first * rank + p] * dq
                    }
                    total += blocks.gramB[(first * rank + p) * width + first * rank + q] * difference
                        + 2 * mixedB * mixedA
                        + differenceB * blocks.gramA[(second * rank + p) * width + second * rank + q]
                }
            }
            return total
        }
    }
}

/// Reads the `r x r` blocks of the expert Gram matrices.
struct ExpertBlocks {
    let rank: Int
    /// `E r`.
    let width: Int
    /// `A A^T` of the stacked A, `[E r, E r]` (empty when not needed).
    let gramA: [Double]
    /// `B^T B` of the side-by-side B, `[E r, E r]` (empty when not needed).
    let gramB: [Double]

    /// `<W_i, W_j>_F / s^2` for the metric.
    func inner(_ metric: RedundancyMetric, _ first: Int, _ second: Int) -> Double {
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

    func diagonalIsFinite(_ gram: [Double], _ expert: Int) -> Bool {
        (0..<rank).allSatisfy { gram[(expert * rank + $0) * (width + 1)].isFinite }
    }
}
