import Foundation
import MoLACheckpoint
import MoLATensor

/// Shrinks a mixture by merging its most alike experts, projection by projection (each
/// projection's experts and router are its own), in the spirit of MC-SMoE's merging.
///
/// ```
/// clusters start as single experts; repeatedly merge the two whose mean updates are closest:
///     M_c   = sum_{i in c} u_i dW_i / sum_{i in c} u_i          u_i: usage (routing shares, else 1)
///     pick  argmin_{a < b} ||M_a - M_b||_F                      (ties: the lowest indices)
/// stop at the layer's target count (--to), or (--threshold D) when no two clusters are closer
/// than D; a layer keeps max over its projections of the count D leaves, so every projection of
/// the layer ends with the same number of experts.
/// each merged cluster c becomes one expert: (B, A) = the rank-r truncated SVD of M_c / s, and
/// router row = sum u_i row_i / sum u_i; its relative error is ||M_c,r - M_c||_F / ||M_c||_F.
/// ```
/// Clusters keep the order of their smallest member. The router row is the usage-weighted mean
/// as the issue asks; a mean of logits under-weights the merged expert against a softmax of the
/// sum of the members' probabilities, which no linear row reproduces for every input.
public enum ExpertMerger {
    /// What the merge aims at.
    public enum Target: Sendable {
        /// Experts per layer after merging.
        case allocation([Int])
        /// Merge while two experts' mean updates are closer than this (`||dW_a - dW_b||_F`).
        case threshold(Double)
    }

    /// A merged adapter: its tensors in the reference layout and what was merged.
    public struct Result {
        public let entries: [SafetensorsWriter.Entry]
        public let expertsPerLayer: [Int]
        public let layers: [MergeReport.Layer]
    }

    /// Refuses a target allocation of another depth, or one that asks a layer for more experts
    /// than it has.
    ///
    /// - Throws: `AnalysisError.allocationLayerCount`, `.allocationExceedsCheckpoint`.
    public static func check(_ target: Target, against before: [Int]) throws(AnalysisError) {
        guard case let .allocation(counts) = target else { return }
        guard counts.count == before.count else { throw .allocationLayerCount(expected: before.count, found: counts.count) }
        for (layer, count) in counts.enumerated() where count > before[layer] {
            throw .allocationExceedsCheckpoint(layer: layer, requested: count, available: before[layer])
        }
    }

    /// - Parameters:
    ///   - usage: per layer and projection, each expert's usage weight (nil: equal).
    /// - Throws: `AnalysisError.allocationLayerCount`, `.allocationExceedsCheckpoint`,
    ///   `.nonFiniteValues`, `.lapackFailed`; `AdapterConversionError.feedForwardExperts` for
    ///   MixLoRA, whose experts no per-projection layout holds; read errors.
    public static func merge(_ adapter: MoLAAdapter, target: Target,
                             usage: (Int, ProjectionKind) -> [Double]?) throws -> Result {
        // The merged adapter is written in the reference layout, a router per projection.
        if adapter.framework.routerScope == .feedForwardBlock {
            throw AdapterConversionError.feedForwardExperts(framework: adapter.framework.displayName)
        }
        try check(target, against: adapter.allocation.expertsPerLayer)
        var entries: [SafetensorsWriter.Entry] = [], after: [Int] = [], layers: [MergeReport.Layer] = []
        for layer in adapter.layers {
            let projections = try layer.projections.map { projection in
                try Planned(projection, file: adapter.file, usage: usage(layer.index, projection.kind))
            }
            let count: Int = switch target {
            case let .allocation(counts): counts[layer.index]
            case let .threshold(limit): projections.map { $0.count(below: limit) }.max() ?? layer.expertCount
            }
            var reports: [(kind: ProjectionKind, value: MergeReport.Projection)] = []
            for planned in projections {
                let (projectionEntries, report) = try planned.merged(to: count, file: adapter.file)
                entries += projectionEntries
                reports.append((planned.projection.kind, report))
            }
            after.append(count)
            layers.append(MergeReport.Layer(layer: layer.index, expertsBefore: layer.expertCount, expertsAfter: count,
                                            projections: ProjectionTable(reports)))
        }
        return Result(entries: entries, expertsPerLayer: after, layers: layers)
    }

    /// One projection's experts and the order in which they merge (all the way to one cluster).
    struct Planned {
        let projection: ProjectionAdapter
        let updates: [LowRankUpdate]
        let usage: [Double]
        /// Each step: the clusters (member lists) merged and their distance.
        let steps: [(first: [Int], second: [Int], distance: Double)]

        init(_ projection: ProjectionAdapter, file: any TensorFile, usage given: [Double]?) throws {
            self.projection = projection
            let (r, dOut, dIn) = (projection.rank, projection.outputWidth, projection.inputWidth)
            var nonFinite: [String] = []
            updates = try projection.experts.map { names in
                let a = try file.record(named: names.a).doubles(), b = try file.record(named: names.b).doubles()
                if !a.allSatisfy(\.isFinite) { nonFinite.append(names.a) }
                if !b.allSatisfy(\.isFinite) { nonFinite.append(names.b) }
                return LowRankUpdate(b: b, a: a, scale: projection.scale, rank: r, outputWidth: dOut, inputWidth: dIn)
            }
            guard nonFinite.isEmpty else { throw AnalysisError.nonFiniteValues(file: file.path, tensors: nonFinite) }
            let usage = given ?? [Double](repeating: 1, count: projection.expertCount)
            self.usage = usage
            // Agglomerate: distances between current clusters' means, updated as clusters merge.
            var clusters = (0..<projection.expertCount).map { [$0] }
            var means = updates
            var steps: [(first: [Int], second: [Int], distance: Double)] = []
            var distance: [[Double]] = (0..<clusters.count).map { i in (0..<clusters.count).map { j in i < j ? means[i].distance(to: means[j]) : 0 } }
            while clusters.count > 1 {
                var best = (i: 0, j: 1)
                for i in 0..<clusters.count { for j in (i + 1)..<clusters.count where distance[i][j] < distance[best.i][best.j] { best = (i, j) } }
                steps.append((clusters[best.i], clusters[best.j], distance[best.i][best.j]))
                let members = (clusters[best.i] + clusters[best.j]).sorted()
                clusters[best.i] = members
                means[best.i] = Self.mean(of: members, updates: updates, usage: usage)
                clusters.remove(at: best.j)
                means.remove(at: best.j)
                distance.remove(at: best.j)
                for row in distance.indices { distance[row].remove(at: best.j) }
                for other in clusters.indices where other != best.i {
                    let value = means[best.i].distance(to: means[other])
                    distance[min(other, best.i)][max(other, best.i)] = value
                }
            }
            self.steps = steps
        }

        /// The usage-weighted mean update of `members` (equal weights when their usage sums to 0).
        static func mean(of members: [Int], updates: [LowRankUpdate], usage: [Double]) -> LowRankUpdate {
            let sum = members.reduce(0) { $0 + usage[$1] }
            return LowRankUpdate.combination(members.map { (updates[$0], sum > 0 ? usage[$0] / sum : 1 / Double(members.count)) })
        }

        /// The clusters after the first `E - count` steps, ordered by their smallest member.
        func clusters(count: Int) -> [[Int]] {
            var clusters = (0..<projection.expertCount).map { [$0] }
            for step in steps.prefix(projection.expertCount - count) {
                clusters.removeAll { $0 == step.first || $0 == step.second }
                clusters.append((step.first + step.second).sorted())
            }
            return clusters.sorted { $0[0] < $1[0] }
        }

        /// Experts left when merging stops at the first step not closer than `limit`.
        func count(below limit: Double) -> Int {
            projection.expertCount - (steps.firstIndex { !($0.distance < limit) } ?? steps.count)
        }

        /// The merged projection's tensors (names renumbered from 0) and its report.
        func merged(to count: Int, file: any TensorFile) throws -> ([SafetensorsWriter.Entry], MergeReport.Projection) {
            let groups = clusters(count: count)
            let (layer, kind, r) = (projection.layer, projection.kind, projection.rank)
            var entries: [SafetensorsWriter.Entry] = [], errors: [Double?] = []
            for (index, members) in groups.enumerated() {
                var a: [Float], b: [Float]
                if members.count == 1 {
                    a = try file.record(named: projection.experts[members[0]].a).doubles().map(Float.init)
                    b = try file.record(named: projection.experts[members[0]].b).doubles().map(Float.init)
                    errors.append(nil)
                } else {
                    let mean = Self.mean(of: members, updates: updates, usage: usage)
                    let truncated: (b: [Float], a: [Float], relativeError: Double)
                    do {
                        truncated = try mean.truncated(rank: r, scale: projection.scale)
                    } catch let LinearAlgebraError.lapackFailed(routine, info) {
                        throw AnalysisError.lapackFailed(file: file.path, tensor: projection.experts[members[0]].b, routine: routine, info: info)
                    }
                    (a, b) = (truncated.a, truncated.b)
                    errors.append(truncated.relativeError)
                }
                entries.append(.init(name: AdapterDirectoryWriter.referenceName(layer: layer, kind, suffix: "lora_A_\(index)"),
                                     shape: [r, projection.inputWidth], values: a))
                entries.append(.init(name: AdapterDirectoryWriter.referenceName(layer: layer, kind, suffix: "lora_B_\(index)"),
                                     shape: [projection.outputWidth, r], values: b))
            }
            if let router = projection.router {
                let rows = try file.record(named: router).doubles(), width = projection.inputWidth
                var merged = [Float](repeating: 0, count: groups.count * width)
                for (index, members) in groups.enumerated() {
                    let sum = members.reduce(0) { $0 + usage[$1] }
                    for member in members {
                        let weight = sum > 0 ? usage[member] / sum : 1 / Double(members.count)
                        for column in 0..<width { merged[index * width + column] += Float(weight * rows[member * width + column]) }
                    }
                }
                entries.append(.init(name: AdapterDirectoryWriter.referenceName(layer: layer, kind, suffix: "router.router"),
                                     shape: [groups.count, width], values: merged))
            }
            return (entries, MergeReport.Projection(groups: groups, relativeErrors: errors, usage: usage))
        }
    }
}
