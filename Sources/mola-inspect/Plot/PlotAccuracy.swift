import Foundation
import MoLACommandLine
import MoLAFiles
import MoLAPlot
import MoLATrain

/// `mola-inspect plot accuracy REPORT ... -o FILE`: eval's accuracies per domain as grouped bars.
struct PlotAccuracy: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "accuracy", summary: "eval's accuracy per domain and overall as bars, runs of one method averaged",
        usage: "mola-inspect plot accuracy <report> [...] -o FILE [options]",
        abstract: "Draws eval --json reports as grouped bars: one group per domain and one for all questions, one color per method. Reports with the same label (by default the adapter's directory name, or base) are runs of one method (seeds): the bar is their mean accuracy with a standard-deviation error bar.")

    @Argument(valueName: "report", help: "eval --json reports") var reports: [FilePath]
    @OptionGroup var legend: LegendOptions
    @OptionGroup var figure: FigureOptions

    func run() throws {
        let inputs = reports.map(\.path)
        try figure.refuseReplacing(inputs.map(CommandInput.file))
        let read = try inputs.map { try JSONDocument.read(EvaluationReport.self, from: $0) }
        let methods = RunStatistics.grouped(read, labels: try RunStatistics.labels(legend, inputs: inputs.count) {
            read.map { $0.adapter.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "base" }
        })
        var domains: [String] = []
        for name in read.flatMap({ $0.groups.map(\.name) }) where !domains.contains(name) { domains.append(name) }
        let categories = domains + ["all"]
        let series = methods.map { method in
            // Per category, the accuracy of every run that has it.
            let values = categories.map { category in
                method.reports.compactMap { report in
                    category == "all" ? report.accuracy : report.groups.first { $0.name == category }?.accuracy
                }
            }
            return BarSeries(name: "\(method.label) (\(RunStatistics.runs(method.reports.count)))",
                             values: values.map { $0.isEmpty ? nil : RunStatistics.mean($0) },
                             errors: values.map { $0.count > 1 ? RunStatistics.standardDeviation($0) : nil })
        }
        let questions = Set(read.map(\.items)).sorted().map(String.init).joined(separator: ", ")
        var notes = ["questions per report: \(questions)"]
        if methods.contains(where: { $0.reports.count > 1 }) { notes.append("error bars: one standard deviation over the runs of a method") }
        let chart = BarChart(title: figure.title(standard: "Accuracy per domain"), xTitle: "domain", yTitle: "accuracy",
                             categories: categories, series: series, notes: notes)
        try ChartFile.write(.bars(chart), to: figure.path, size: figure.size())
        PlotCommand.wrote(figure.path)
    }
}
