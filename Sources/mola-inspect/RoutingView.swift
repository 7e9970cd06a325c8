import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAFiles
import MoLARouting

/// A routing report as a table, CSV (one row per layer, projection and expert) or JSON.
struct RoutingView {
    let basePath: String
    /// The tokenizer the text went through, or that ids were given (`--tokens`).
    let tokenizer: String
    let checkpoint: Checkpoint
    let report: RoutingReport
    let topK: [Int]
    let topKSource: TopKSource
    let includePadding: Bool

    private var topKText: String {
        let values = Set(topK)
        return (values.count == 1 ? String(values.first!) : topK.map(String.init).joined(separator: ",")) + " (\(topKSource.reportName))"
    }

    var table: String {
        var table = TextTable(headers: ["layer", "projection", "experts", "balance", "entropy", "never", "over 2x", "share per expert"],
                              rightAligned: [0, 2, 3, 4])
        for layer in report.layers {
            for projection in layer.projections {
                table.append([String(layer.layer), projection.site.checkpointName, String(projection.experts),
                              String(format: "%.3f", projection.balance), String(format: "%.3f", projection.normalisedEntropy),
                              projection.neverSelected.isEmpty ? "-" : projection.neverSelected.map(String.init).joined(separator: ","),
                              projection.overloaded.isEmpty ? "-" : projection.overloaded.map(String.init).joined(separator: ","),
                              projection.shares.map { String(format: "%.2f", $0) }.joined(separator: " ")])
            }
        }
        var lines = [
            "\(checkpoint.path) on \(basePath): \(groupedDigits(report.tokens)) tokens (\(tokenizer)) in \(report.windows) windows\(includePadding ? " (padding counted)" : ""), top-K \(topKText)",
            "balance: E * sum f_i * Pbar_i (1 = even); entropy: of the selection shares, divided by log E (1 = even)",
            "",
            table.rendered(),
        ]
        if report.nearTies > 0 {
            lines.append("\n\(groupedDigits(report.nearTies)) token routings were near ties (the K-th and next probabilities within \(RoutingAccumulator.tieMargin))")
        }
        return lines.joined(separator: "\n")
    }

    var csv: String {
        var lines = ["layer,projection,expert,selected,share,mean_probability,mean_weight_when_selected,tokens,top_k"]
        for layer in report.layers {
            for projection in layer.projections {
                for expert in 0..<projection.experts {
                    let weight = projection.meanWeightsWhenSelected[expert].map { "\($0)" } ?? ""
                    lines.append("\(layer.layer),\(projection.site.checkpointName),\(expert),\(projection.selected[expert]),\(projection.shares[expert]),\(projection.meanProbabilities[expert]),\(weight),\(projection.tokens),\(projection.topK)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    var document: RoutingDocument {
        RoutingDocument(base: basePath, tokenizer: tokenizer, adapter: checkpoint.path, topK: topK, topKSource: topKSource.reportName,
                        includePadding: includePadding, report: report)
    }
}
