import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAPlot

/// `mola-inspect plot <figure> ...`: figures for papers, drawn with Cairo.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "plot", summary: "figures as PNG, SVG or PDF: redundancy (Figure 3), pairs, allocation, routing, spectrum, diff, accuracy, continual",
        usage: "mola-inspect plot <figure> <inputs> -o FILE [options]",
        abstract: "Draws a figure as PNG, SVG or PDF (by the output's extension), in DejaVu Sans with colorblind-safe colors.",
        subcommands: [PlotRedundancy.self, PlotPairs.self, PlotAllocation.self, PlotRoutingShares.self, PlotRoutingWeights.self,
                      PlotRoutingRedundancy.self, PlotSpectrum.self, PlotDiff.self, PlotAccuracy.self, PlotContinual.self],
        subcommandNoun: "figure")

    /// Says where the figure went (standard error, so standard output stays empty).
    static func wrote(_ path: String) {
        StandardStream.error.writeDiagnostic("wrote \(TerminalText.escaped(path))\n")
    }

    /// Legend labels: `--labels a,b,...` (one per input), else each input's allocation, made
    /// unique with the input's name when two inputs share one.
    static func labels(_ legend: LegendOptions, inputs: [String], allocations: [String]) throws -> [String] {
        if let labels = try givenLabels(legend, inputs: inputs.count) { return labels }
        return zip(inputs, allocations).map { input, allocation in
            let name = URL(fileURLWithPath: input).lastPathComponent
            let shared = allocations.filter { $0 == allocation }.count > 1
            return allocation.isEmpty ? name : shared || inputs.count == 1 ? "\(name): \(allocation)" : allocation
        }
    }

    /// `--labels` as given, one per input; nil when not given.
    static func givenLabels(_ legend: LegendOptions, inputs: Int) throws -> [String]? {
        guard let labels = legend.labels else { return nil }
        guard labels.count == inputs else { throw UsageError("--labels has \(labels.count) names for \(inputs) inputs") }
        return labels
    }

    /// `1-3, 5` for `[1, 2, 3, 5]`.
    static func ranges(_ values: [Int]) -> String {
        var parts: [String] = []
        var start: Int?
        var previous: Int?
        for value in values.sorted() + [Int.max] {
            if let last = previous, value == last + 1 { previous = value; continue }
            if let first = start, let last = previous { parts.append(first == last ? "\(first)" : "\(first)-\(last)") }
            start = value
            previous = value
        }
        return parts.joined(separator: ", ")
    }

    /// What the values of a redundancy report are, for an axis or a colorbar: names the metric.
    static func metricTitle(metric: String, scaled: Bool, side: SubspaceSide? = nil) -> String {
        switch metric {
        case "a": "‖A_i − A_j‖_F"
        case "b": "‖B_i − B_j‖_F"
        case "cosine": "cosine of ΔW_i and ΔW_j"
        case "subspace": "subspace similarity φ of ΔW_i, ΔW_j (\((side ?? .column).rawValue) spaces)"
        case "router": "cosine of router rows i and j"
        default: scaled ? "‖ΔW_i − ΔW_j‖_F" : "‖B_iA_i − B_jA_j‖_F"
        }
    }
}
