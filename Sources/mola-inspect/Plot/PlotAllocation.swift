import Foundation
import MoLACheckpoint
import MoLAPlot

/// `mola-inspect plot allocation CKPT ... -o FILE`: experts per layer as bars.
enum PlotAllocation {
    static let options = [PlotCommand.labelsOption] + FigureOptions.all

    static let help = helpText(
        usage: "mola-inspect plot allocation <checkpoint> [...] -o FILE [options]",
        summary: "Experts per layer as bars, one group per checkpoint (the shapes of the paper's Figure 2), with each checkpoint's trainable parameters in the legend.",
        options: options)

    @Sendable static func run(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options)
        if arguments.wantsHelp { return print(help) }
        guard !arguments.positionals.isEmpty else { throw UsageError("missing the checkpoints") }
        let path = try FigureOptions.path(arguments)
        let size = try FigureOptions.size(arguments)
        let adapters = try arguments.positionals.map { try Checkpoint(path: $0).adapter }
        let labels = try PlotCommand.labels(arguments, inputs: arguments.positionals,
                                            allocations: adapters.map(\.allocation.shortName))
        let depth = adapters.map(\.layers.count).max() ?? 0
        let series = zip(adapters, labels).map { adapter, label in
            BarSeries(name: "\(label): \(millions(adapter.parameterCount)) parameters",
                      values: (0..<depth).map { $0 < adapter.layers.count ? Double(adapter.layers[$0].expertCount) : nil })
        }
        var notes: [String] = []
        if Set(adapters.map(\.layers.count)).count > 1 {
            notes.append("the checkpoints have different depths (\(adapters.map { String($0.layers.count) }.joined(separator: ", ")) layers)")
        }
        let chart = BarChart(title: FigureOptions.title(arguments, standard: "Experts per layer"), xTitle: "layer",
                             yTitle: "experts", categories: (0..<depth).map(String.init), series: series, notes: notes)
        try ChartFile.write(.bars(chart), to: path, size: size)
        PlotCommand.wrote(path)
    }

    /// `105,635,840` as `105.6 M`.
    static func millions(_ count: Int) -> String {
        count >= 1_000_000 ? String(format: "%.1f M", Double(count) / 1e6) : groupedDigits(count)
    }
}
