import Foundation
import MoLAFiles
import MoLAAnalysis
import MoLACheckpoint

/// `mola-inspect redundancy CKPT`: pairwise distances between the experts of every layer.
enum RedundancyCommand {
    static let metric = OptionSpec(name: "--metric", valueName: "delta|a|b",
                                   help: "compare dW = s*B*A (delta, default), A alone (a) or B alone (b)")
    static let unscaled = OptionSpec(name: "--unscaled", valueName: nil, help: "leave out s = alpha / r in delta")
    static let projections = OptionSpec(name: "--projections", valueName: "SET",
                                        help: "attention (q,k,v,o: Figure 3, default), mlp, all, or a list like q_proj,v_proj")
    static let pairs = OptionSpec(name: "--pairs", valueName: nil, help: "list every pair in the table (JSON and CSV always do)")
    static let allowNonFinite = OptionSpec(name: "--allow-nonfinite", valueName: nil,
                                           help: "report distances even if some tensors hold NaN/Inf (theirs become null)")
    static let options = [metric, unscaled, projections, pairs, SharedOptions.json, SharedOptions.csv,
                          SharedOptions.output, SharedOptions.threads, allowNonFinite]

    static let help = helpText(
        usage: "mola-inspect redundancy <checkpoint> [options]",
        summary: "For every layer and projection, the Frobenius distance ||W_i - W_j|| between every pair of experts and their mean: the paper's Figure 3 (arXiv 2402.08562). Lower means more alike, so more redundant.",
        options: options,
        details: """
        Exact: computed from Gram matrices of the stacked experts in double precision (no d_out x d_in
        matrix is formed), with nearly equal experts recomputed from their difference.
        """)

    @Sendable static func run(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options)
        if arguments.wantsHelp { return print(help) }
        let path = try SharedOptions.checkpointPath(arguments)
        let format = try SharedOptions.format(arguments, allowsCSV: true)
        let (analysisOptions, requested) = try analysisOptions(arguments)

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
            guard arguments.flag(allowNonFinite.name) else { throw error }
            warn("\(error.description); their distances are null")
        }
        let view = RedundancyView(checkpoint: checkpoint, report: report, projectionSetName: requested.name)
        let text = switch format {
        case .json: try JSONDocument.rendered(view.document)
        case .csv: view.csv
        case .table: view.table(listingPairs: arguments.flag(pairs.name))
        }
        try OutputDestination(path: arguments.value(SharedOptions.output.name)).write(text)
    }

    /// The analysis options from `--metric`, `--unscaled`, `--projections` and `--threads`,
    /// with the projection set as the user named it.
    static func analysisOptions(_ arguments: ParsedArguments) throws
        -> (RedundancyOptions, (kinds: [ProjectionKind], name: String, isExplicitList: Bool)) {
        var options = RedundancyOptions(threadCount: try SharedOptions.threadCount(arguments))
        if let text = arguments.value(metric.name) {
            guard let value = RedundancyMetric(rawValue: text.lowercased()) else {
                throw UsageError("unknown metric \"\(text)\"; use delta, a or b")
            }
            options.metric = value
        }
        options.scaled = !arguments.flag(unscaled.name)
        let requested = try projectionSet(arguments.value(projections.name) ?? "attention")
        options.projections = Set(requested.kinds)
        return (options, requested)
    }

    /// Parses `attention`, `mlp`, `all` or a comma-separated list (`q_proj,v_proj` or `q,v`).
    static func projectionSet(_ text: String) throws -> (kinds: [ProjectionKind], name: String, isExplicitList: Bool) {
        switch text.lowercased() {
        case "attention": return (ProjectionKind.attention, "attention", false)
        case "mlp": return (ProjectionKind.mlp, "mlp", false)
        case "all": return (ProjectionKind.allCases, "all", false)
        default:
            var kinds: [ProjectionKind] = []
            for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                let name = item.hasSuffix("_proj") ? item : item + "_proj"
                guard let kind = ProjectionKind(checkpointName: name) else {
                    throw UsageError("unknown projection \"\(item)\"; use attention, mlp, all or names among q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj")
                }
                if !kinds.contains(kind) { kinds.append(kind) }
            }
            guard !kinds.isEmpty else { throw UsageError("--projections is empty") }
            return (kinds.sorted(), kinds.sorted().map(\.checkpointName).joined(separator: ","), true)
        }
    }
}

/// Prints `warning: ...` to standard error.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}
