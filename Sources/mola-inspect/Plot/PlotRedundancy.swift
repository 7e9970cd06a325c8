import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAPlot

/// `mola-inspect plot redundancy CKPT|JSON ... -o FILE`: the paper's Figure 3.
struct PlotRedundancy: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "redundancy", summary: "Figure 3: mean pairwise expert distance per layer, one curve per checkpoint",
        usage: "mola-inspect plot redundancy <checkpoint|redundancy.json> [...] -o FILE [options]",
        abstract: "Figure 3 of the paper: for each layer, the mean pairwise distance between its experts over the chosen projections (default attention: q, k, v, o), one curve per input labelled with its allocation; the band spans the projections' means. Inputs are checkpoints or saved `redundancy --json` output.")

    @Argument(valueName: "input", help: "checkpoints or saved `redundancy --json` output, one curve each") var inputs: [FilePath]
    @OptionGroup var analysis: RedundancyAnalysisOptions
    @OptionGroup var legend: LegendOptions
    @OptionGroup var figure: FigureOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        let paths = self.inputs.map(\.path)
        try figure.refuseReplacing(paths.map(CommandInput.checkpoint))
        let path = figure.path
        let size = figure.size()
        let analysisOptions = analysis.analysisOptions(threads: threads.count)
        let requested = analysis.projections
        let inputs = try paths.map { try RedundancyInput.load($0, options: analysisOptions) }
        let metrics = Set(inputs.map { "\($0.metric) \($0.scaled) \($0.document.side?.rawValue ?? "")" })
        guard metrics.count == 1, let first = inputs.first else {
            throw CommandError.failed("the inputs measure different things (\(inputs.map { "\($0.source): \($0.metric)\($0.scaled ? "" : ", unscaled")" }.joined(separator: "; "))); plot them separately")
        }
        let labels = try PlotCommand.labels(legend, inputs: paths, allocations: inputs.map(\.shortAllocation))
        var notes: [String] = []
        var series: [LineSeries] = []
        for (input, label) in zip(inputs, labels) {
            let kinds = input.kinds(in: analysisOptions.projections)
            let missing = requested.kinds.filter { !kinds.contains($0) }
            if kinds.isEmpty {
                throw CommandError.failed("\(input.source) has no \(requested.name) projections")
            }
            if !missing.isEmpty { notes.append("\(label): no \(missing.map(\.checkpointName).joined(separator: ", ")); averaged over \(kinds.map(\.checkpointName).joined(separator: ", "))") }
            var x: [Double] = [], y: [Double?] = [], band: [(low: Double, high: Double)?] = []
            var withoutPairs: [Int] = []
            for layer in input.layers {
                let means = kinds.compactMap { layer.projections[$0] }.map(\.mean)
                x.append(Double(layer.layer))
                if means.isEmpty || means.contains(where: { $0 == nil }) {
                    y.append(nil)
                    band.append(nil)
                    withoutPairs.append(layer.layer)
                    continue
                }
                let values = means.map { $0! }
                y.append(values.reduce(0, +) / Double(values.count))
                band.append((values.min()!, values.max()!))
            }
            if !withoutPairs.isEmpty {
                notes.append("\(label): no pairs in layer\(withoutPairs.count == 1 ? "" : "s") \(PlotCommand.ranges(withoutPairs)) (one expert, or non-finite values)")
            }
            series.append(LineSeries(name: label, x: x, y: y, band: kinds.count > 1 ? band : nil))
        }
        let depths = Set(inputs.map(\.layers.count))
        if depths.count > 1 { notes.append("the inputs have different depths (\(inputs.map { String($0.layers.count) }.joined(separator: ", ")) layers): each curve spans its own") }
        if first.metric == "delta" { notes.append(first.scaled ? "ΔW = s·B·A with s = alpha / r; mean over expert pairs and projections" : "unscaled: B·A without s = alpha / r") }
        if first.document.metric.isSimilarity { notes.append("a similarity: higher means more alike, so more redundant") }
        if requested.kinds.count > 1 { notes.append("band: lowest to highest projection mean of the layer (\(requested.name))") }
        let chart = LineChart(title: figure.title(standard: "Expert redundancy by layer (\(requested.name))"),
                              xTitle: "layer", yTitle: "mean " + PlotCommand.metricTitle(metric: first.metric, scaled: first.scaled, side: first.document.side),
                              series: series, notes: notes)
        try ChartFile.write(.line(chart), to: path, size: size)
        PlotCommand.wrote(path)
    }
}
