import MoLAAnalysis
import MoLACheckpoint
import MoLAFiles

/// A redundancy report as a table, CSV (one row per pair) or JSON (schema in README.md).
struct RedundancyView {
    let checkpoint: Checkpoint
    let report: RedundancyReport
    let projectionSetName: String

    private var kinds: [ProjectionKind] {
        Array(Set(report.layers.flatMap { $0.projections.map(\.kind) })).sorted()
    }

    private var metricDescription: String {
        switch report.metric {
        case .delta: report.scaled ? "delta: dW = s * B A with s = alpha / r" : "delta, unscaled: dW = B A"
        case .a: "a: the A matrices alone"
        case .b: "b: the B matrices alone"
        case .cosine: "cosine: <dW_i, dW_j> / (|dW_i| |dW_j|)"
        case .subspace: "subspace: |U_i^T U_j|_F^2 / r over the \((report.side ?? .column).rawValue) spaces of dW"
        case .router: "router: cosine of the router rows"
        }
    }

    func table(listingPairs: Bool) -> String {
        let adapter = checkpoint.adapter
        let hasAttention = kinds.contains { $0.isAttention }
        let hasMLP = kinds.contains { !$0.isAttention }
        var headers = ["layer", "experts"] + kinds.map(\.checkpointName)
        if hasAttention && hasMLP { headers += ["attention", "mlp"] }
        headers.append("mean")
        var table = TextTable(headers: headers, rightAligned: Set(0..<headers.count))
        for layer in report.layers {
            var row = [String(layer.layer), String(layer.projections.first?.expertCount ?? 0)]
            row += kinds.map { kind in formatted(layer.projections.first { $0.kind == kind }?.mean) }
            if hasAttention && hasMLP { row += [formatted(layer.attentionMean), formatted(layer.mlpMean)] }
            row.append(formatted(layer.mean))
            table.append(row)
        }
        var lines = [
            "\(checkpoint.path): \(adapter.file.formatName), allocation \(adapter.allocation.summary)",
            "\(report.metric.isSimilarity ? "mean pairwise similarity" : "mean pairwise Frobenius distance") between experts; metric \(metricDescription); projections \(projectionSetName)",
            "",
            table.rendered(),
        ]
        if report.layers.contains(where: { $0.projections.contains { $0.expertCount < 2 } }) {
            lines.append("n/a: a layer with one expert has no pairs")
        }
        if listingPairs {
            var pairs = TextTable(headers: ["layer", "projection", "i", "j", report.metric.isSimilarity ? "similarity" : "distance"],
                                  rightAligned: [0, 2, 3, 4])
            for projection in report.layers.flatMap(\.projections) {
                for pair in projection.pairs {
                    pairs.append([String(projection.layer), projection.kind.checkpointName, String(pair.first),
                                  String(pair.second), formatted(pair.distance)])
                }
            }
            lines += ["", pairs.rendered()]
        } else {
            lines += ["", "every pair: --pairs, --csv or --json"]
        }
        return lines.joined(separator: "\n")
    }

    var csv: String {
        var lines = ["layer,projection,expert_i,expert_j,\(report.metric.isSimilarity ? "similarity" : "distance"),experts,rank,scale,metric,scaled"]
        for projection in report.layers.flatMap(\.projections) {
            for pair in projection.pairs {
                let distance = pair.distance.isFinite ? "\(pair.distance)" : ""
                lines.append("\(projection.layer),\(projection.kind.checkpointName),\(pair.first),\(pair.second),\(distance),"
                    + "\(projection.expertCount),\(projection.rank),\(projection.scale),\(report.metric.rawValue),\(report.scaled)")
            }
        }
        return lines.joined(separator: "\n")
    }

    var document: RedundancyDocument {
        RedundancyDocument(checkpoint: checkpoint, report: report, projectionSet: projectionSetName)
    }
}
