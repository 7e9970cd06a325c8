import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAPlot

/// `mola-inspect plot allocation CKPT ... -o FILE`: experts per layer as bars.
struct PlotAllocation: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "allocation", summary: "experts per layer as bars (the paper's Figure 2 shapes), one group per checkpoint",
        usage: "mola-inspect plot allocation <checkpoint> [...] -o FILE [options]",
        abstract: "Experts per layer as bars, one group per checkpoint (the shapes of the paper's Figure 2), with each checkpoint's trainable parameters in the legend.")

    @Argument(valueName: "checkpoint", help: "adapter directories or files, one group of bars each") var checkpoints: [FilePath]
    @OptionGroup var legend: LegendOptions
    @OptionGroup var figure: FigureOptions

    func run() throws {
        let inputs = checkpoints.map(\.path)
        try figure.refuseReplacing(inputs.map(CommandInput.checkpoint))
        let path = figure.path
        let size = figure.size()
        let adapters = try inputs.map { try Checkpoint(path: $0).adapter }
        let labels = try PlotCommand.labels(legend, inputs: inputs,
                                            allocations: adapters.map(\.allocation.shortName))
        let depth = adapters.map(\.layers.count).max() ?? 0
        let series = zip(adapters, labels).map { adapter, label in
            BarSeries(name: "\(label): \(Self.millions(adapter.parameterCount)) parameters",
                      values: (0..<depth).map { $0 < adapter.layers.count ? Double(adapter.layers[$0].expertCount) : nil })
        }
        var notes: [String] = []
        if Set(adapters.map(\.layers.count)).count > 1 {
            notes.append("the checkpoints have different depths (\(adapters.map { String($0.layers.count) }.joined(separator: ", ")) layers)")
        }
        let chart = BarChart(title: figure.title(standard: "Experts per layer"), xTitle: "layer",
                             yTitle: "experts", categories: (0..<depth).map(String.init), series: series, notes: notes)
        try ChartFile.write(.bars(chart), to: path, size: size)
        PlotCommand.wrote(path)
    }

    /// `105,635,840` as `105.6 M`.
    static func millions(_ count: Int) -> String {
        count >= 1_000_000 ? String(format: "%.1f M", Double(count) / 1e6) : groupedDigits(count)
    }
}
