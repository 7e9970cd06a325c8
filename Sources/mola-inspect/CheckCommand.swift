import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLARouting

/// `mola-inspect check CKPT [--base B --data F]`: a lint for adapters that can gate a pipeline.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "check", summary: "lint an adapter: untrained, duplicate or rank-deficient experts, parallel routers, routing collapse",
        usage: "mola-inspect check <checkpoint> [--base BASE (--data FILE | --tokens FILE)] [options]",
        abstract: "Lints an adapter and prints one line per finding with its severity (error, warning, note), its kind and the tensors concerned. Exit status: 0 when clean (notes at most), 1 with warnings, 2 with errors. From the weights: non_finite and untrained_expert (errors), duplicate_experts, rank_deficient and parallel_router_rows (warnings), topk_covers_all (note). With --base and data, the routing too: never_selected and collapsed_routing (warnings), overloaded and near_ties (notes).",
        details: """
        A failure to run (an unreadable checkpoint, a bad option) also exits non-zero (1, or 64 for a
        usage mistake) but prints `error: ...` on standard error and writes no report: a report on
        standard output (or --output) means the check ran, and its status is the findings' verdict.
        """)

    @OptionGroup var input: CheckpointArgument
    @Option(name: "--duplicate-threshold", valueName: "X", help: "duplicate_experts: distance below X times the larger norm (default 1e-6)")
    var duplicateThreshold = 1e-6
    @Option(name: "--rank-share", valueName: "X", help: "rank_deficient: effective rank below X times r (default 0.5)") var rankShare = 0.5
    @Option(name: "--router-cosine", valueName: "X", help: "parallel_router_rows: router-row cosine above X (default 0.99)") var routerCosine = 0.99
    @Option(name: "--overload", valueName: "X", help: "overloaded: share above X times the even share 1/E (default 2)") var overload = 2.0
    @Option(name: "--min-entropy", valueName: "X", help: "collapsed_routing: normalised routing entropy below X (default 0.2)") var minEntropy = 0.2
    @OptionGroup var routing: RoutingRunOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        for (name, value) in [("--duplicate-threshold", duplicateThreshold), ("--rank-share", rankShare), ("--router-cosine", routerCosine),
                              ("--overload", overload), ("--min-entropy", minEntropy)] where !(value.isFinite && value >= 0) {
            throw UsageError("\(name) must be a finite number of at least 0, got \(value)")
        }
        if routing.base == nil, routing.data != nil || routing.tokens != nil { throw UsageError("--data and --tokens need --base BASE") }
    }

    func run() throws {
        let path = input.checkpoint.path
        try OutputSafety.check(outputs: [("--output", output.output?.path)], inputs: routing.inputs(adapter: path))
        let checkpoint = try Checkpoint(path: path)
        var thresholds = CheckThresholds()
        thresholds.duplicateRelative = duplicateThreshold
        thresholds.effectiveRankShare = rankShare
        thresholds.routerCosine = routerCosine
        let topK = try checkpoint.resolveTopK(option: routing.topK.topK).perLayer
        var findings = try AdapterCheck.run(checkpoint.adapter, topK: topK, thresholds: thresholds, threadCount: threads.count)
        if routing.base != nil {
            let view = try RoutingCommand.analyse(routing, threads: threads.count, adapterPath: path)
            findings += routingFindings(view.report)
        }
        findings.sort { ($0.layer ?? -1, $0.projection ?? "", $0.experts.first ?? -1) < ($1.layer ?? -1, $1.projection ?? "", $1.experts.first ?? -1) }
        let document = CheckDocument(checkpoint: path, findings: findings)
        let text = output.json ? try JSONDocument.rendered(document) : Self.lines(document)
        try output.destination.write(text, format: output.format)
        exit(document.exitStatus)
    }

    /// The data-driven kinds, from the routing statistics of `MoLARouting`.
    func routingFindings(_ report: RoutingReport) -> [CheckFinding] {
        var findings: [CheckFinding] = []
        for layer in report.layers {
            for projection in layer.projections where projection.experts > 1 && projection.tokens > 0 {
                func add(_ severity: CheckFinding.Severity, _ kind: String, _ experts: [Int], _ message: String) {
                    findings.append(CheckFinding(severity: severity, kind: kind, layer: layer.layer, projection: projection.site.checkpointName,
                                                 experts: experts, message: message))
                }
                let never = projection.neverSelected
                if !never.isEmpty {
                    add(.warning, "never_selected", never, "expert\(never.count == 1 ? "" : "s") \(never.map(String.init).joined(separator: ", ")) never among the top-\(projection.topK) over \(projection.tokens) tokens")
                }
                let shares = projection.shares
                let over = shares.indices.filter { shares[$0] > overload / Double(projection.experts) }
                if !over.isEmpty {
                    add(.note, "overloaded", over, over.map { "expert \($0) takes \(formatted(shares[$0])) of the selections" }.joined(separator: "; ")
                        + " (even share \(formatted(1 / Double(projection.experts))), limit \(overload)x)")
                }
                if projection.normalisedEntropy < minEntropy {
                    add(.warning, "collapsed_routing", Array(0..<projection.experts),
                        "normalised routing entropy \(formatted(projection.normalisedEntropy)) (below \(minEntropy)): tokens go to few experts")
                }
                if projection.nearTies > 0 {
                    add(.note, "near_ties", [], "\(projection.nearTies) of \(projection.tokens) tokens had the top-\(projection.topK) boundary tied within \(RoutingAccumulator.tieMargin): their choice rests on rounding")
                }
            }
        }
        return findings
    }

    /// One line per finding: `severity: kind layer L proj [experts]: message`, then a summary.
    static func lines(_ document: CheckDocument) -> String {
        var lines = document.findings.map { finding in
            let place = [finding.layer.map { "layer \($0)" }, finding.projection, finding.experts.isEmpty ? nil : "experts " + finding.experts.map(String.init).joined(separator: ",")]
                .compactMap { $0 }.joined(separator: " ")
            return "\(finding.severity.rawValue): \(finding.kind) \(place): \(finding.message)"
        }
        let count = { (severity: CheckFinding.Severity) in document.findings.filter { $0.severity == severity }.count }
        lines.append("\(document.checkpoint): \(count(.error)) errors, \(count(.warning)) warnings, \(count(.note)) notes")
        return lines.joined(separator: "\n")
    }
}
