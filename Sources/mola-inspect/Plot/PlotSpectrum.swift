import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAPlot

/// `mola-inspect plot spectrum CKPT|JSON -o FILE`: mean effective rank per layer, one curve per projection.
struct PlotSpectrum: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "spectrum", summary: "experts' mean effective rank per layer, one curve per projection",
        usage: "mola-inspect plot spectrum <checkpoint|spectrum.json> -o FILE [options]",
        abstract: "For each layer, the mean effective rank of the experts' dW = s * B A (Roy and Vetterli's entropy rank, 1 to r), one curve per projection; the band spans the layer's experts. The input is a checkpoint or saved `spectrum --json` output.")

    @Argument(valueName: "input", help: "a checkpoint, or saved `spectrum --json` output") var input: FilePath
    @Option(name: "--projections", valueName: "SET", help: "attention, mlp, all (default), or a list like q_proj,v_proj")
    var projections = ProjectionSelection.all
    @Flag(name: "--allow-untrained", help: "give experts whose dW is zero (never trained) null measures instead of refusing") var allowUntrained: Bool
    @OptionGroup var figure: FigureOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        let path = input.path
        try figure.refuseReplacing([.checkpoint(path)])
        let document: SpectrumDocument
        var isDirectory: ObjCBool = false
        if path.lowercased().hasSuffix(".json"), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            do {
                document = try JSONDocument.read(SpectrumDocument.self, from: path)
            } catch let error as JSONDocumentError {
                throw CommandError.failed("\(path) is not the JSON output of `mola-inspect spectrum`: \(error.problem)")
            }
        } else {
            let checkpoint = try Checkpoint(path: path)
            let report = try SpectrumAnalyzer.analyze(checkpoint.adapter, projections: Set(projections.kinds), threadCount: threads.count,
                                                      allowingZeroExperts: allowUntrained)
            document = SpectrumDocument(checkpoint: checkpoint, report: report, projectionSet: projections.name)
        }
        let kinds = Array(Set(document.layers.flatMap(\.projections.kinds)).intersection(projections.kinds)).sorted()
        guard !kinds.isEmpty else { throw CommandError.failed("\(path) has no \(projections.name) projections") }
        let series = kinds.map { kind in
            let layers = document.layers.filter { $0.projections[kind] != nil }
            let band: [(low: Double, high: Double)?] = layers.map { layer in
                let values = layer.projections[kind]!.experts.compactMap(\.effectiveRank)
                return values.isEmpty ? nil : (values.min()!, values.max()!)
            }
            return LineSeries(name: kind.checkpointName, x: layers.map { Double($0.layer) },
                              y: layers.map { $0.projections[kind]!.meanEffectiveRank }, band: band)
        }
        let ranks = Set(document.layers.flatMap { $0.projections.entries.map(\.value.rank) }).sorted()
        let name = URL(fileURLWithPath: path).lastPathComponent
        let chart = LineChart(title: figure.title(standard: "Effective rank of the experts' ΔW: \(name) \(document.allocationOfExperts.shortName)"),
                              xTitle: "layer", yTitle: "mean effective rank of ΔW_i", series: series,
                              notes: ["r = \(ranks.map(String.init).joined(separator: ", ")); band: lowest to highest expert of the layer"])
        try ChartFile.write(.line(chart), to: figure.path, size: figure.size())
        PlotCommand.wrote(figure.path)
    }
}
