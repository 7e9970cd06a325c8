import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAPlot

/// `mola-inspect plot pairs CKPT -o FILE`: every layer's E x E distance matrix.
struct PlotPairs: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "pairs", summary: "every layer's expert-by-expert distance (or similarity, --metric) matrix, as small multiples",
        usage: "mola-inspect plot pairs <checkpoint|redundancy.json> -o FILE [options]",
        abstract: "Every layer's expert-by-expert distance matrix as a grid of heatmaps sharing one color scale, layers in order, expert indices on the axes. With several projections (default attention), each cell is the mean over them; pass --projections q_proj for one.")

    @Argument(valueName: "input", help: "a checkpoint, or saved `redundancy --json` output") var input: FilePath
    @OptionGroup var analysis: RedundancyAnalysisOptions
    @OptionGroup var figure: FigureOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        try figure.refuseReplacing([.checkpoint(input.path)])
        let path = figure.path
        let size = figure.size()
        let analysisOptions = analysis.analysisOptions(threads: threads.count)
        let requested = analysis.projections
        let input = try RedundancyInput.load(self.input.path, options: analysisOptions)
        let kinds = input.kinds(in: analysisOptions.projections)
        guard !kinds.isEmpty else { throw CommandError.failed("\(input.source) has no \(requested.name) projections") }
        var notes: [String] = []
        var single: [Int] = []
        let panels = input.layers.map { layer -> HeatmapPanel in
            let projections = kinds.compactMap { layer.projections[$0] }
            let experts = projections.first?.experts ?? 0
            if experts < 2 { single.append(layer.layer) }
            var sums = [[Double]](repeating: [Double](repeating: 0, count: experts), count: experts)
            for projection in projections {
                for pair in projection.pairs {
                    sums[pair.first][pair.second] += pair.distance
                    sums[pair.second][pair.first] += pair.distance
                }
            }
            let values: [[Double?]] = (0..<experts).map { i in
                (0..<experts).map { j in i == j || projections.isEmpty ? nil : sums[i][j] / Double(projections.count) }
            }
            let labels = (0..<experts).map(String.init)
            return HeatmapPanel(title: "layer \(layer.layer)", rowLabels: labels, columnLabels: labels, values: values)
        }
        if !single.isEmpty {
            notes.append(single.count == 1 ? "layer \(single[0]) has one expert: no pairs"
                                            : "layers \(PlotCommand.ranges(single)) have one expert: no pairs")
        }
        let missing = requested.kinds.filter { !kinds.contains($0) }
        if !missing.isEmpty { notes.append("no \(missing.map(\.checkpointName).joined(separator: ", ")) in the checkpoint") }
        if kinds.count > 1 { notes.append("each cell: mean over \(kinds.map(\.checkpointName).joined(separator: ", "))") }
        let what = kinds.count == 1 ? kinds[0].checkpointName : requested.name
        let name = URL(fileURLWithPath: input.source).lastPathComponent
        let noun = input.document.metric.isSimilarity ? "similarities" : "distances"
        let chart = HeatmapGrid(title: figure.title(standard: "Pairwise expert \(noun), \(what): \(name) \(input.shortAllocation)"),
                                panels: panels, colorbarTitle: PlotCommand.metricTitle(metric: input.metric, scaled: input.scaled, side: input.document.side),
                                notes: notes)
        try ChartFile.write(.heatmapGrid(chart), to: path, size: size)
        PlotCommand.wrote(path)
    }
}
