import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAPlot

/// `mola-inspect plot diff A B -o FILE` (or saved `diff --json`): relative drift per layer.
struct PlotDiff: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "diff", summary: "relative drift of matched experts per layer, one curve per projection",
        usage: "mola-inspect plot diff (<checkpoint A> <checkpoint B> | <diff.json>) -o FILE [options]",
        abstract: "For each layer, the mean relative drift |dW_i^B - dW_pi(i)^A| / |dW_pi(i)^A| of the experts matched by `diff` (Hungarian algorithm), one curve per projection; the band spans the layer's experts. Inputs are two checkpoints or saved `diff --json` output.")

    @Argument(valueName: "input", help: "two checkpoints, A then B, or saved `diff --json` output") var inputs: [FilePath]
    @Option(name: "--projections", valueName: "SET", help: "attention, mlp, all (default), or a list like q_proj,v_proj")
    var projections = ProjectionSelection.all
    @OptionGroup var figure: FigureOptions
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard inputs.count == 1 || inputs.count == 2 else { throw UsageError("plot diff takes two checkpoints or one diff JSON, got \(inputs.count) inputs") }
    }

    func run() throws {
        let paths = inputs.map(\.path)
        try figure.refuseReplacing(paths.map(CommandInput.checkpoint))
        let document: DiffDocument
        if paths.count == 1 {
            do {
                document = try JSONDocument.read(DiffDocument.self, from: paths[0])
            } catch let error as JSONDocumentError {
                throw CommandError.failed("\(paths[0]) is not the JSON output of `mola-inspect diff`: \(error.problem)")
            }
        } else {
            let (first, second) = (try Checkpoint(path: paths[0]), try Checkpoint(path: paths[1]))
            let report = try CheckpointDiff.analyze(first.adapter, second.adapter, projections: Set(projections.kinds), threadCount: threads.count)
            document = DiffDocument(first: paths[0], second: paths[1], expertsPerLayer: first.adapter.allocation.expertsPerLayer,
                                    report: report, projectionSet: projections.name)
        }
        let kinds = Array(Set(document.layers.flatMap(\.projections.kinds)).intersection(projections.kinds)).sorted()
        guard !kinds.isEmpty else { throw CommandError.failed("no \(projections.name) projections in the diff") }
        let series = kinds.map { kind in
            let layers = document.layers.filter { $0.projections[kind] != nil }
            let band: [(low: Double, high: Double)?] = layers.map { layer in
                let values = layer.projections[kind]!.matched.compactMap(\.relative)
                return values.isEmpty ? nil : (values.min()!, values.max()!)
            }
            return LineSeries(name: kind.checkpointName, x: layers.map { Double($0.layer) }, y: layers.map { $0.projections[kind]!.meanRelative }, band: band)
        }
        var notes = ["experts matched by the Hungarian algorithm on ‖ΔW^B − ΔW^A‖_F; band: lowest to highest expert of the layer"]
        for kind in kinds {
            let missing = document.layers.filter { $0.projections[kind] != nil && $0.projections[kind]!.meanRelative == nil }.map(\.layer)
            if !missing.isEmpty { notes.append("\(kind.checkpointName): no mean in layer\(missing.count == 1 ? "" : "s") \(PlotCommand.ranges(missing)) (an expert of A is zero)") }
        }
        let names = [document.first, document.second].map { URL(fileURLWithPath: $0).lastPathComponent }
        let chart = LineChart(title: figure.title(standard: "Expert drift from \(names[0]) to \(names[1])"), xTitle: "layer",
                              yTitle: "mean ‖ΔW_i^B − ΔW_π(i)^A‖ / ‖ΔW_π(i)^A‖", series: series,
                              notes: notes)
        try ChartFile.write(.line(chart), to: figure.path, size: figure.size())
        PlotCommand.wrote(figure.path)
    }
}
