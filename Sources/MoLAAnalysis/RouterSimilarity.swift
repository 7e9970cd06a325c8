import MoLACheckpoint

/// The cosine between the router rows of a projection's experts: data-free.
///
/// ```
/// W_r is [E, d_in]      (MixLoRA's block router: [E, d_model], shared by gate, up and down)      value(i, j) = <W_r[i], W_r[j]> / (|W_r[i]| |W_r[j]|)
/// ```
/// Two experts whose rows are parallel get logits in a fixed ratio for every input, so the
/// router can rank them only one way (`check` flags cosines above 0.99).
enum RouterSimilarity {
    /// - Throws: `AnalysisError.missingRouter` when the projection has none and more than one
    ///   expert; `AnalysisError.zeroExperts` naming the router for an all-zero row.
    static func analyze(_ projection: ProjectionAdapter, file: any TensorFile) throws -> ProjectionRedundancy {
        let experts = projection.expertCount
        let width = projection.routerWidth
        var rows: [Double] = []
        if let router = projection.router {
            rows = try file.record(named: router).doubles()
        } else if experts > 1 {
            throw AnalysisError.missingRouter(file: file.path, projection: projection.label)
        }
        let norms = (0..<(rows.isEmpty ? 0 : experts)).map { expert in
            rows[(expert * width)..<((expert + 1) * width)].reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
        let nonFinite = norms.contains { !$0.isFinite } ? [projection.router!] : []
        if let router = projection.router, norms.contains(0) {
            let zero = norms.indices.filter { norms[$0] == 0 }.map { "\(router) row \($0)" }
            throw AnalysisError.zeroExperts(file: file.path, tensors: zero, metric: "the router cosine")
        }
        var pairs: [ExpertPairDistance] = []
        for first in 0..<experts {
            for second in (first + 1)..<max(experts, first + 1) {
                var dot = 0.0
                for column in 0..<width { dot += rows[first * width + column] * rows[second * width + column] }
                let value = dot / (norms[first] * norms[second])
                pairs.append(ExpertPairDistance(first: first, second: second, distance: value.isFinite ? min(1, max(-1, value)) : .nan))
            }
        }
        return ProjectionRedundancy(layer: projection.layer, kind: projection.kind, expertCount: experts, rank: projection.rank,
                                    scale: 1, pairs: pairs, norms: norms.isEmpty ? [Double](repeating: .nan, count: experts) : norms,
                                    nonFiniteTensors: nonFinite)
    }
}
