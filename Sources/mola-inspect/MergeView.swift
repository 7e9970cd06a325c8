import Foundation
import MoLAAnalysis
import MoLACheckpoint

/// `merge`'s table: per layer the counts, the groups merged and the worst relative error.
enum MergeView {
    static func table(_ report: MergeReport) -> String {
        let before = Allocation(expertsPerLayer: report.expertsBefore), after = Allocation(expertsPerLayer: report.expertsAfter)
        var lines = ["\(report.source) -> \(report.output): \(before.shortName) -> \(after.shortName)"
            + (report.threshold.map { ", threshold \($0)" } ?? "") + ", usage \(report.weighting)", ""]
        let first = report.layers.first?.projections.kinds.first
        var table = TextTable(headers: ["layer", "before", "after", "max relative error", "groups (\(first?.checkpointName ?? "-"))"],
                              rightAligned: [0, 1, 2, 3])
        for layer in report.layers {
            let groups = first.flatMap { layer.projections[$0]?.groups }.map { $0.filter { $0.count > 1 }.map { $0.map(String.init).joined(separator: "+") } } ?? []
            table.append([String(layer.layer), String(layer.expertsBefore), String(layer.expertsAfter),
                          layer.maximumRelativeError.map { String(format: "%.4f", $0) } ?? "-", groups.isEmpty ? "-" : groups.joined(separator: " ")])
        }
        lines.append(table.rendered())
        lines.append("")
        lines.append("relative error: ||M_r - M||_F / ||M||_F of a merged update M (the usage-weighted mean) and its rank-r factorisation")
        if let evaluation = report.evaluation {
            lines.append(String(format: "on the data (%d predicted tokens): mean KL(original || merged) %.5f nats; perplexity original %.4f, merged %.4f",
                                evaluation.tokens, evaluation.meanKL, evaluation.perplexityOriginal, evaluation.perplexityMerged))
        }
        return lines.joined(separator: "\n")
    }
}
