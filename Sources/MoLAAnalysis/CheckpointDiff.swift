import Dispatch
import MoLACheckpoint
import MoLAFiles
import MoLATensor

/// One projection of two checkpoints, its experts matched.
public struct ProjectionDiff: Sendable {
    public let layer: Int
    public let kind: ProjectionKind
    /// `permutation[i]`: the expert of the first checkpoint (A) matched to expert `i` of the second (B).
    public let permutation: [Int]
    /// Per expert `i` of B: `|dW_i^B - dW_pi(i)^A|_F`.
    public let distances: [Double]
    /// Per expert `i` of B: the distance over `|dW_pi(i)^A|_F`; nil when that norm is zero.
    public let relative: [Double?]

    /// Mean relative drift; nil when an expert of A is zero.
    public var meanRelative: Double? {
        relative.contains { $0 == nil } ? nil : finiteMean(relative.map { $0! })
    }
}

public struct LayerDiff: Sendable {
    public let layer: Int
    public let projections: [ProjectionDiff]

    public var meanRelative: Double? {
        let means = projections.map(\.meanRelative)
        return means.contains { $0 == nil } ? nil : finiteMean(means.map { $0! })
    }
}

public struct DiffReport: Sendable {
    public let layers: [LayerDiff]
}

/// Two checkpoints of the same shape (two steps of a run, two seeds), experts matched.
///
/// Experts are symmetric under permutation, so index `i` of one run is not index `i` of the
/// other: per projection the experts of B are matched to those of A by the Hungarian algorithm
/// on the distances `|dW_i^B - dW_j^A|_F`, all `E^2` of them from the Grams of the stacked
/// `2E` experts of both (`RedundancyAnalyzer`'s path, nearly equal pairs from their difference).
public enum CheckpointDiff {
    /// - Throws: `AnalysisError.shapesDiffer` naming the first difference; `.nonFiniteValues`.
    public static func analyze(_ first: MoLAAdapter, _ second: MoLAAdapter, projections kinds: Set<ProjectionKind>,
                               threadCount: Int = 1) throws -> DiffReport {
        try requireSameShape(first, second)
        let work = zip(first.projections, second.projections).filter { kinds.contains($0.0.kind) }
        let results = ResultSlots<ProjectionDiff>(count: work.count)
        let next = Counter()
        LinearAlgebra.setBLASThreadCount(1)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threadCount, work.count))) { _ in
            let workspace = Workspace()
            while let index = next.increment(below: work.count) {
                results.store(index) { try analyze(work[index].0, first.file, work[index].1, second.file, workspace: workspace) }
            }
        }
        let diffs = try results.values()
        return DiffReport(layers: first.layers.compactMap { layer in
            let selected = diffs.filter { $0.layer == layer.index }
            return selected.isEmpty ? nil : LayerDiff(layer: layer.index, projections: selected)
        })
    }

    static func requireSameShape(_ first: MoLAAdapter, _ second: MoLAAdapter) throws {
        func differ(_ text: String) -> AnalysisError { .shapesDiffer(first: first.file.path, second: second.file.path, difference: text) }
        guard first.layers.count == second.layers.count else {
            throw differ("\(first.layers.count) layers in the first, \(second.layers.count) in the second")
        }
        for (a, b) in zip(first.layers, second.layers) {
            let (kindsA, kindsB) = (a.projections.map(\.kind), b.projections.map(\.kind))
            guard kindsA == kindsB else {
                throw differ("layer \(a.index) adapts \(kindsA.map(\.checkpointName).joined(separator: ",")) in the first, \(kindsB.map(\.checkpointName).joined(separator: ",")) in the second")
            }
            for (p, q) in zip(a.projections, b.projections) {
                if p.expertCount != q.expertCount { throw differ("\(p.label) has \(p.expertCount) experts in the first, \(q.expertCount) in the second") }
                if p.rank != q.rank { throw differ("\(p.label) has rank \(p.rank) in the first, \(q.rank) in the second") }
                if p.inputWidth != q.inputWidth || p.outputWidth != q.outputWidth {
                    throw differ("\(p.label) maps \(p.inputWidth) -> \(p.outputWidth) in the first, \(q.inputWidth) -> \(q.outputWidth) in the second")
                }
            }
        }
    }

    /// Every cross distance `|dW_i^B - dW_j^A|` as `[E, E]` (row `i` of B, column `j` of A), and A's norms.
    static func crossDistances(_ a: ProjectionAdapter, _ fileA: any TensorFile, _ b: ProjectionAdapter, _ fileB: any TensorFile,
                               workspace: Workspace) throws -> (distances: [Double], normsA: [Double]) {
        let (experts, rank, inputWidth, outputWidth) = (a.expertCount, a.rank, a.inputWidth, a.outputWidth)
        let total = 2 * experts, width = total * rank
        var memory = MemoryEstimate()
        memory.add(total, rank, inputWidth + outputWidth, elementBytes: MemoryLayout<Double>.size)
        memory.add(2, width, width, elementBytes: MemoryLayout<Double>.size)
        try memory.require(for: "the distances of \(a.label) in two checkpoints (\(experts) experts of rank \(rank))")
        let stackedA = workspace.buffer(0, count: width * inputWidth)
        let sideBySideB = workspace.buffer(1, count: outputWidth * width)
        // Experts 0..<E are A's, E..<2E are B's; the scale is folded into each B.
        for (offset, projection, file) in [(0, a, fileA), (experts, b, fileB)] {
            for (index, names) in projection.experts.enumerated() {
                let expert = offset + index
                try file.record(named: names.a).read(into: UnsafeMutableBufferPointer(rebasing: stackedA[(expert * rank * inputWidth)...]))
                try file.record(named: names.b).read(into: UnsafeMutableBufferPointer(rebasing: sideBySideB[(expert * rank)...]), rowStride: width)
                for row in 0..<outputWidth { for p in 0..<rank { sideBySideB[row * width + expert * rank + p] *= projection.scale } }
            }
        }
        let gramA = workspace.buffer(2, count: width * width), gramB = workspace.buffer(3, count: width * width)
        LinearAlgebra.gramOfRows(UnsafeBufferPointer(stackedA), rows: width, columns: inputWidth, into: gramA)
        LinearAlgebra.gramOfColumns(UnsafeBufferPointer(sideBySideB), rows: outputWidth, columns: width, into: gramB)
        let grams = ExpertGrams(metric: .delta, rank: rank, width: width, gramA: UnsafeBufferPointer(gramA), gramB: UnsafeBufferPointer(gramB))
        let nonFinite = (0..<total).filter { !grams.diagonalIsFinite(gramA, $0) || !grams.diagonalIsFinite(gramB, $0) }.map { expert in
            expert < experts ? a.experts[expert].b : b.experts[expert - experts].b
        }
        guard nonFinite.isEmpty else {
            throw AnalysisError.nonFiniteValues(file: "\(fileA.path) and \(fileB.path)", tensors: nonFinite)
        }
        let counts = ExpertDifference.scratchCounts(a)
        let difference = ExpertDifference(projection: a, grams: grams, stackedA: UnsafeBufferPointer(stackedA), sideBySideB: UnsafeBufferPointer(sideBySideB),
                                          scratch: (workspace.buffer(4, count: counts.r), workspace.buffer(5, count: counts.l),
                                                    workspace.buffer(6, count: counts.gram), workspace.buffer(7, count: counts.gram)))
        let squaredNorms = (0..<total).map { grams.inner($0, $0) }
        var identical: IdenticalExperts?
        var distances = [Double](repeating: 0, count: experts * experts)
        for i in 0..<experts {
            for j in 0..<experts {
                let (x, y) = (experts + i, j)
                let sum = squaredNorms[x] + squaredNorms[y]
                var squared = sum - 2 * grams.inner(x, y)
                if squared <= RedundancyAnalyzer.cancellationThreshold * sum {
                    let groups = identical ?? IdenticalExperts(experts: total, rank: rank, inputWidth: inputWidth, outputWidth: outputWidth,
                                                               metric: .delta, stackedA: UnsafeBufferPointer(stackedA),
                                                               sideBySideB: UnsafeBufferPointer(sideBySideB))
                    identical = groups
                    squared = groups.group[x] == groups.group[y] ? 0 : difference.squaredNorm(x, y)
                }
                distances[i * experts + j] = max(squared, 0).squareRoot()
            }
        }
        return (distances, (0..<experts).map { max(squaredNorms[$0], 0).squareRoot() })
    }

    static func analyze(_ a: ProjectionAdapter, _ fileA: any TensorFile, _ b: ProjectionAdapter, _ fileB: any TensorFile,
                        workspace: Workspace) throws -> ProjectionDiff {
        let (distances, normsA) = try crossDistances(a, fileA, b, fileB, workspace: workspace)
        let experts = a.expertCount
        let permutation = Hungarian.assignment(distances, size: experts)
        let matched = (0..<experts).map { distances[$0 * experts + permutation[$0]] }
        return ProjectionDiff(layer: a.layer, kind: a.kind, permutation: permutation, distances: matched,
                              relative: (0..<experts).map { normsA[permutation[$0]] > 0 ? matched[$0] / normsA[permutation[$0]] : nil })
    }
}
