import Foundation
import MoLAFiles
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine

/// `mola-inspect redundancy CKPT`: pairwise distances between the experts of every layer.
struct RedundancyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "redundancy", summary: "pairwise distances (Figure 3) or similarities between the experts of every layer",
        usage: "mola-inspect redundancy <checkpoint> [options]",
        abstract: "For every layer and projection, the Frobenius distance ||W_i - W_j|| between every pair of experts and their mean: the paper's Figure 3 (arXiv 2402.08562). Lower means more alike, so more redundant. --metric cosine, subspace or router measures a similarity instead (higher means more alike).",
        details: """
        Exact: computed from Gram matrices of the stacked experts in double precision (no d_out x d_in
        matrix is formed), with nearly equal experts recomputed from their difference. subspace compares
        the column (--side row: row) spaces of dW through thin QR factorisations of B and A^T and the
        SVD of the r x r core (LAPACK), and adds the principal angles to the JSON.
        """)

    @OptionGroup var input: CheckpointArgument
    @OptionGroup var analysis: RedundancyAnalysisOptions
    @Flag(name: "--pairs", help: "list every pair in the table (JSON and CSV always do)") var pairs: Bool
    @OptionGroup var output: ReportOutputOptions
    @OptionGroup var threads: ThreadOptions
    @Flag(name: "--allow-nonfinite", help: "report distances even if some tensors hold NaN/Inf (theirs become null)") var allowNonFinite: Bool

    func run() throws {
        let path = input.checkpoint.path
        try OutputSafety.check(outputs: [("--output", output.output?.path)], inputs: [.checkpoint(path)])
        let analysisOptions = analysis.analysisOptions(threads: threads.count)
        let requested = analysis.projections

        let checkpoint = try Checkpoint(path: path)
        let present = Set(checkpoint.adapter.projections.map(\.kind))
        let missing = requested.kinds.filter { !present.contains($0) }
        if missing.count == requested.kinds.count {
            throw CommandError.failed(
                "the checkpoint has no experts on \(requested.name) (it adapts \(present.sorted().map(\.checkpointName).joined(separator: ", "))) (\(path))")
        }
        if requested.isExplicitList, !missing.isEmpty {
            warn("the checkpoint has no experts on \(missing.map(\.checkpointName).joined(separator: ", ")); left out")
        }

        let progress = ProgressBar(label: "redundancy")
        let report = try RedundancyAnalyzer.analyze(checkpoint.adapter, options: analysisOptions) {
            progress.update(done: $0, total: $1)
        }
        progress.finish()
        if !report.nonFiniteTensors.isEmpty {
            let error = AnalysisError.nonFiniteValues(file: checkpoint.adapter.file.path, tensors: report.nonFiniteTensors)
            guard allowNonFinite else { throw error }
            warn("\(error.description); their distances are null")
        }
        let view = RedundancyView(checkpoint: checkpoint, report: report, projectionSetName: requested.name)
        let text = switch output.format {
        case .json: try JSONDocument.rendered(view.document)
        case .csv: view.csv
        case .table: view.table(listingPairs: pairs)
        }
        try output.destination.write(text, format: output.format)
    }
}

/// Prints `warning: ...` to standard error, control characters escaped (`TerminalText`).
func warn(_ message: String) {
    StandardStream.error.writeDiagnostic("warning: \(TerminalText.escaped(message))\n")
}
