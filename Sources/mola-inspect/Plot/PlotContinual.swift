import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAPlot
import MoLATrain

/// `mola-inspect plot continual REPORT ... -o FILE`: continual learning's accuracy matrix and its
/// two summaries, several runs side by side.
struct PlotContinual: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "continual", summary: "continual learning: the accuracy matrix R as a heatmap, OP and BWT as bars, runs side by side",
        usage: "mola-inspect plot continual <report> [...] -o FILE [options]",
        abstract: "Draws continual's reports (continual.json, or the directory holding it): above, R (accuracy on each domain after training through each) as a heatmap per method; below, the overall performance and the backward transfer as bars, one color per method. Runs with the same label (by default the allocation; LoRA for one expert per layer) are seeds of one method: the heatmap shows their mean R and the bars their mean with a standard-deviation error bar.")

    @Argument(valueName: "report", help: "continual.json files, or the --out directories of continual") var reports: [FilePath]
    @OptionGroup var legend: LegendOptions
    @OptionGroup var figure: FigureOptions

    func run() throws {
        let inputs = reports.map { path -> String in
            var isDirectory: ObjCBool = false
            let isFolder = FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) && isDirectory.boolValue
            return isFolder ? URL(fileURLWithPath: path.path).appendingPathComponent(ContinualCommand.reportName).path : path.path
        }
        try figure.refuseReplacing(inputs.map(CommandInput.file))
        let read = try inputs.map { try JSONDocument.read(ContinualReport.self, from: $0) }
        let methods = RunStatistics.grouped(read, labels: try RunStatistics.labels(legend, inputs: inputs.count) { read.map(Self.method) })
        for method in methods where Set(method.reports.map(\.domains)).count > 1 {
            throw CommandError.failed("the runs labelled \(method.label) were trained on different domains ("
                + method.reports.map { $0.domains.joined(separator: ",") }.joined(separator: " and ") + "); give --labels to tell them apart")
        }
        let panels = methods.map { method in
            let domains = method.reports[0].domains
            let mean = (0..<domains.count).map { row in
                (0..<domains.count).map { column -> Double? in RunStatistics.mean(method.reports.map { $0.accuracies[row][column] }) }
            }
            return HeatmapPanel(title: "\(method.label) (\(RunStatistics.runs(method.reports.count)))", rowLabels: domains.map { "after \($0)" },
                                columnLabels: domains, values: mean)
        }
        let bars = BarChart(xTitle: "", yTitle: "accuracy", categories: ["overall performance (OP)", "backward transfer (BWT)"],
                            series: methods.map { method in
                                let op = method.reports.map(\.overallPerformance), bwt = method.reports.map(\.backwardTransfer)
                                return BarSeries(name: "\(method.label) (\(RunStatistics.runs(method.reports.count)))",
                                                 values: [RunStatistics.mean(op), RunStatistics.mean(bwt)],
                                                 errors: method.reports.count > 1 ? [RunStatistics.standardDeviation(op), RunStatistics.standardDeviation(bwt)] : nil)
                            },
                            notes: methods.contains { $0.reports.count > 1 } ? ["error bars: one standard deviation over the runs of a method"] : [])
        let title = figure.title(standard: "Continual learning: R, OP and BWT")
        let matrix: Chart = panels.count == 1
            ? .heatmap(Heatmap(title: title.map { "\($0): \(panels[0].title)" }, xTitle: "accuracy on", yTitle: "", rowLabels: panels[0].rowLabels,
                               columnLabels: panels[0].columnLabels, values: panels[0].values, colorbarTitle: "accuracy"))
            : .heatmapGrid(HeatmapGrid(title: title, panels: panels, colorbarTitle: "accuracy"))
        try ChartFile.write(.stacked([matrix, .bars(bars)]), to: figure.path, size: figure.size(panels: 2))
        PlotCommand.wrote(figure.path)
    }

    /// The default label of a run: `LoRA` for one expert per layer, else the allocation (`2468`).
    static func method(_ report: ContinualReport) -> String {
        report.allocation.allSatisfy { $0 == 1 } ? "LoRA" : Allocation(expertsPerLayer: report.allocation).notation
    }
}
