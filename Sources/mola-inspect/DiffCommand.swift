import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles

/// `mola-inspect diff CKPT_A CKPT_B`: two checkpoints of one shape, experts matched.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "diff", summary: "two checkpoints of one shape: experts matched by the Hungarian algorithm, and their drift",
        usage: "mola-inspect diff <checkpoint A> <checkpoint B> [options]",
        abstract: "Compares two checkpoints of the same shape (two steps of a run, two seeds). Experts are symmetric under permutation, so per projection B's experts are matched to A's by the Hungarian algorithm on the distances |dW_i^B - dW_j^A|_F; reports the permutation, each matched distance and its relative drift |dW_i^B - dW_pi(i)^A| / |dW_pi(i)^A|, with per-layer means.",
        details: """
        Checkpoints of different shapes are refused, naming the first difference (layers, projections,
        experts, rank or widths). A relative drift is n/a (null) where A's expert is zero (B all zero).
        """)

    @Argument(valueName: "checkpoint", help: "the two checkpoints, A then B") var checkpoints: [FilePath]
    @Option(name: "--projections", valueName: "SET", help: "attention, mlp, all (default), or a list like q_proj,v_proj")
    var projections = ProjectionSelection.all
    @Flag(name: "--experts", help: "list every matched expert in the table (JSON always does)") var listExperts: Bool
    @OptionGroup var output: OutputOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard checkpoints.count == 2 else { throw UsageError("diff takes two checkpoints, got \(checkpoints.count)") }
    }

    func run() throws {
        let (pathA, pathB) = (checkpoints[0].path, checkpoints[1].path)
        try OutputSafety.check(outputs: [("--output", output.output?.path)], inputs: [.checkpoint(pathA), .checkpoint(pathB)])
        let (first, second) = (try Checkpoint(path: pathA), try Checkpoint(path: pathB))
        let report = try CheckpointDiff.analyze(first.adapter, second.adapter, projections: Set(projections.kinds), threadCount: threads.count)
        let document = DiffDocument(first: pathA, second: pathB, expertsPerLayer: first.adapter.allocation.expertsPerLayer,
                                    report: report, projectionSet: projections.name)
        try output.destination.write(output.json ? try JSONDocument.rendered(document) : Self.table(document, listingExperts: listExperts),
                                     format: output.format)
    }

    static func table(_ document: DiffDocument, listingExperts: Bool) -> String {
        let kinds = Array(Set(document.layers.flatMap(\.projections.kinds))).sorted()
        let headers = ["layer", "experts"] + kinds.map(\.checkpointName) + ["mean", "moved"]
        var table = TextTable(headers: headers, rightAligned: Set(0..<(headers.count - 1)))
        for layer in document.layers {
            let moved = layer.projections.entries.filter { $0.value.permutation != Array($0.value.permutation.indices) }.map(\.kind.checkpointName)
            table.append([String(layer.layer), String(layer.projections.entries.first?.value.permutation.count ?? 0)]
                + kinds.map { formatted(layer.projections[$0]?.meanRelative) } + [formatted(layer.meanRelative),
                                                                                    moved.isEmpty ? "-" : moved.joined(separator: ",")])
        }
        var lines = ["A: \(document.first)", "B: \(document.second)",
                     "mean relative drift |dW_i^B - dW_pi(i)^A| / |dW_pi(i)^A| after matching experts; moved: projections whose matching is not the identity",
                     "", table.rendered()]
        if listingExperts {
            var experts = TextTable(headers: ["layer", "projection", "B expert", "A expert", "distance", "relative"], rightAligned: [0, 2, 3, 4, 5])
            for layer in document.layers {
                for (kind, projection) in layer.projections.entries {
                    for match in projection.matched {
                        experts.append([String(layer.layer), kind.checkpointName, String(match.second), String(match.first),
                                        formatted(match.distance), formatted(match.relative)])
                    }
                }
            }
            lines += ["", experts.rendered()]
        } else {
            lines += ["", "every match: --experts or --json"]
        }
        return lines.joined(separator: "\n")
    }
}
