import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles

/// `mola-inspect spectrum CKPT`: every expert's singular values and effective rank.
struct SpectrumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "spectrum", summary: "every expert's singular values, effective rank, stable rank and top-direction share",
        usage: "mola-inspect spectrum <checkpoint> [options]",
        abstract: "For every layer, projection and expert, the singular values of dW = s * B A, its effective rank (Roy and Vetterli's entropy rank, 1 to r), stable rank (sum of squares over the largest squared) and the share of energy in its top direction, with per-layer means.",
        details: """
        Exact and cheap: from thin QR factorisations of B and A^T and the SVD of the r x r core
        (LAPACK), never from the d_out x d_in matrix. An expert whose dW is zero is an error here
        (its measures are undefined); `check` reports it as untrained_expert.
        """)

    @OptionGroup var input: CheckpointArgument
    @Option(name: "--projections", valueName: "SET", help: "attention (q,k,v,o), mlp, all (default), or a list like q_proj,v_proj")
    var projections = ProjectionSelection.all
    @Flag(name: "--allow-untrained", help: "give experts whose dW is zero (never trained) null measures instead of refusing") var allowUntrained: Bool
    @OptionGroup var output: ReportOutputOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        let path = input.checkpoint.path
        try OutputSafety.check(outputs: [("--output", output.output?.path)], inputs: [.checkpoint(path)])
        let checkpoint = try Checkpoint(path: path)
        let present = Set(checkpoint.adapter.projections.map(\.kind))
        guard !present.isDisjoint(with: projections.kinds) else {
            throw CommandError.failed("the checkpoint has no experts on \(projections.name) (\(path))")
        }
        let progress = ProgressBar(label: "spectrum")
        let report = try SpectrumAnalyzer.analyze(checkpoint.adapter, projections: Set(projections.kinds), threadCount: threads.count,
                                                      allowingZeroExperts: allowUntrained) {
            progress.update(done: $0, total: $1)
        }
        progress.finish()
        let document = SpectrumDocument(checkpoint: checkpoint, report: report, projectionSet: projections.name)
        let text = switch output.format {
        case .json: try JSONDocument.rendered(document)
        case .csv: Self.csv(document)
        case .table: Self.table(document)
        }
        try output.destination.write(text, format: output.format)
    }

    static func table(_ document: SpectrumDocument) -> String {
        let kinds = Array(Set(document.layers.flatMap(\.projections.kinds))).sorted()
        let headers = ["layer", "experts"] + kinds.map(\.checkpointName) + ["mean", "stable", "top share"]
        var table = TextTable(headers: headers, rightAligned: Set(0..<headers.count))
        for layer in document.layers {
            let all = layer.projections.entries.map(\.value)
            let stable = all.flatMap(\.experts).compactMap(\.stableRank)
            let share = all.flatMap(\.experts).compactMap(\.topShare)
            table.append([String(layer.layer), String(all.first?.experts.count ?? 0)]
                + kinds.map { formatted(layer.projections[$0]?.meanEffectiveRank) }
                + [formatted(layer.meanEffectiveRank), formatted(mean(stable)), formatted(mean(share))])
        }
        return [
            "\(document.checkpoint): allocation \(document.allocation); projections \(document.projectionSet)",
            "mean effective rank of dW = s * B A per projection (of r); mean stable rank and top-direction share over the layer",
            "",
            table.rendered(),
            "",
            "every expert's singular values: --json or --csv",
        ].joined(separator: "\n")
    }

    static func csv(_ document: SpectrumDocument) -> String {
        var lines = ["layer,projection,expert,rank,effective_rank,stable_rank,top_share,singular_values"]
        for layer in document.layers {
            for (kind, projection) in layer.projections.entries {
                for expert in projection.experts {
                    let measures = [expert.effectiveRank, expert.stableRank, expert.topShare].map { $0.map { "\($0)" } ?? "" }
                    lines.append("\(layer.layer),\(kind.checkpointName),\(expert.expert),\(projection.rank),\(measures.joined(separator: ",")),"
                        + expert.singularValues.map { "\($0)" }.joined(separator: " "))
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
}
