import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAPlot

/// `mola-inspect plot <figure> ...`: figures for papers, drawn with Cairo.
enum PlotCommand {
    static let figures: [(name: String, summary: String, run: @Sendable ([String]) throws -> Void)] = [
        ("redundancy", "Figure 3: mean pairwise expert distance per layer, one curve per checkpoint", PlotRedundancy.run),
        ("pairs", "every layer's expert-by-expert distance matrix, as small multiples", PlotPairs.run),
        ("allocation", "experts per layer as bars (the paper's Figure 2 shapes), one group per checkpoint", PlotAllocation.run),
        ("routing", "selection share per layer and expert, as a heatmap", PlotRouting.shares),
        ("routing-weights", "mean routing weight per layer and expert, as bars", PlotRouting.weights),
        ("routing-redundancy", "per layer, expert distances beside routing entropy and balance", PlotRouting.beside),
    ]

    static var help: String {
        let width = (figures.map(\.name.count).max() ?? 0) + 2
        return (["usage: mola-inspect plot <figure> <inputs> -o FILE [options]", "",
                 "Draws a figure as PNG, SVG or PDF (by the output's extension), in DejaVu Sans with colorblind-safe colors.",
                 "", "figures:"]
            + figures.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + $0.summary }
            + ["", "Run `mola-inspect plot <figure> --help` for its options."]).joined(separator: "\n")
    }

    @Sendable static func run(_ arguments: [String]) throws {
        guard let first = arguments.first, first != "--help", first != "-h" else {
            if arguments.isEmpty { throw UsageError("missing the figure: \(figures.map(\.name).joined(separator: ", "))") }
            return print(help)
        }
        guard let figure = figures.first(where: { $0.name == first }) else {
            throw UsageError("unknown figure \"\(first)\"; use \(figures.map(\.name).joined(separator: ", "))")
        }
        try figure.run(FigureOptions.normalise(Array(arguments.dropFirst())))
    }

    /// Says where the figure went (standard error, so standard output stays empty).
    static func wrote(_ path: String) {
        FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
    }

    /// Legend labels: `--labels a,b,...` (one per input), else each input's allocation, made
    /// unique with the input's name when two inputs share one.
    static func labels(_ arguments: ParsedArguments, inputs: [String], allocations: [String]) throws -> [String] {
        if let given = arguments.value("--labels") {
            let labels = given.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard labels.count == inputs.count else {
                throw UsageError("--labels has \(labels.count) names for \(inputs.count) inputs")
            }
            return labels
        }
        return zip(inputs, allocations).map { input, allocation in
            let name = URL(fileURLWithPath: input).lastPathComponent
            let shared = allocations.filter { $0 == allocation }.count > 1
            return allocation.isEmpty ? name : shared || inputs.count == 1 ? "\(name): \(allocation)" : allocation
        }
    }

    static let labelsOption = OptionSpec(name: "--labels", valueName: "A,B,...", help: "legend names, one per input")

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

    static func metricTitle(metric: String, scaled: Bool) -> String {
        switch metric {
        case "a": "‖A_i − A_j‖_F"
        case "b": "‖B_i − B_j‖_F"
        default: scaled ? "‖ΔW_i − ΔW_j‖_F" : "‖B_iA_i − B_jA_j‖_F"
        }
    }
}
