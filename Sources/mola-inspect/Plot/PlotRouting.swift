import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAPlot

// `mola-inspect plot routing|routing-weights|routing-redundancy`: routing figures.

/// The input of the share and weight figures: an adapter (run over the data) or saved `routing --json`.
struct RoutingFigureInput: ParsableArguments {
    @Argument(valueName: "input", help: "an adapter checkpoint (run with --base over the data), or saved `routing --json` output")
    var input: FilePath
    @OptionGroup var routing: RoutingRunOptions
    @Option(name: "--projections", valueName: "SET", help: "the projections averaged over: all, attention, mlp or a list like q_proj,v_proj")
    var projections = ProjectionSelection.all
    @OptionGroup var threads: ThreadOptions

    /// The routing, and the routers it has of the requested projections (MixLoRA's feed-forward
    /// block router, `mlp`, routes gate, up and down: `RouterSite.routing`). Plain LoRA that is one
    /// expert in every layer (MoE-PEFT's attention LoRA beside its MLP mixtures) routes nothing and
    /// is left out of the mean, unless nothing else is asked for.
    func load() throws -> (RoutingInput, [RouterSite]) {
        let input = try RoutingInput.load(self.input.path, routing: routing, threads: threads.count)
        let present = Set(input.layers.flatMap(\.projections.keys))
        let sites = RouterSite.routing(projections.kinds).filter(present.contains)
        guard !sites.isEmpty else { throw CommandError.failed("the routing has no \(projections.name) projections (\(self.input.path))") }
        let mixtures = sites.filter { site in input.layers.contains { ($0.projections[site]?.experts ?? 0) > 1 } }
        return (input, mixtures.isEmpty ? sites : mixtures)
    }

    func notes(_ sites: [RouterSite], _ input: RoutingInput) -> [String] {
        ["mean over \(sites.map(\.checkpointName).joined(separator: ", "))"]
    }
}

/// `plot routing`: selection shares as a heatmap.
struct PlotRoutingShares: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "routing", summary: "selection share per layer and expert, as a heatmap",
        usage: "mola-inspect plot routing \(PlotRoutingShares.inputs) -o FILE [options]",
        abstract: "Selection share of every expert, layer by layer, as a layer x expert heatmap (mean over the projections chosen with --projections, default all). Empty cells: the layer has fewer experts.")
    static let inputs = "<adapter> --base BASE (--data FILE | --tokens FILE), <adapter> --trace DIR, or <routing.json>"

    @OptionGroup var source: RoutingFigureInput
    @OptionGroup var figure: FigureOptions

    func run() throws {
        try figure.refuseReplacing(source.routing.inputs(adapter: source.input.path))
        let (input, sites) = try source.load()
        let (path, size) = (figure.path, figure.size())
        let values = input.perExpert(sites) { $0.shares[$1] }
        let chart = Heatmap(title: figure.title(standard: "Selection share per expert: \(URL(fileURLWithPath: input.adapter).lastPathComponent)"),
                            xTitle: "expert", yTitle: "layer", rowLabels: input.layers.map { String($0.layer) },
                            columnLabels: (0..<input.maximumExperts).map(String.init), values: values,
                            colorbarTitle: "share of selections", notes: source.notes(sites, input))
        try ChartFile.write(.heatmap(chart), to: path, size: size)
        PlotCommand.wrote(path)
    }
}

/// `plot routing-weights`: mean routing weights as bars.
struct PlotRoutingWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "routing-weights", summary: "mean routing weight per layer and expert, as bars",
        usage: "mola-inspect plot routing-weights \(PlotRoutingShares.inputs) -o FILE [options]",
        abstract: "Per layer, each expert's mean renormalised routing weight over the tokens that chose it, as grouped bars (mean over --projections, default all).")

    @OptionGroup var source: RoutingFigureInput
    @OptionGroup var figure: FigureOptions

    func run() throws {
        try figure.refuseReplacing(source.routing.inputs(adapter: source.input.path))
        let (input, sites) = try source.load()
        let (path, size) = (figure.path, figure.size())
        let values = input.perExpert(sites) { $0.meanWeights[$1] }
        let series = (0..<input.maximumExperts).map { expert in BarSeries(name: "expert \(expert)", values: values.map { $0[expert] }) }
        let chart = BarChart(title: figure.title(standard: "Mean routing weight when chosen: \(URL(fileURLWithPath: input.adapter).lastPathComponent)"),
                             xTitle: "layer", yTitle: "mean renormalised weight", categories: input.layers.map { String($0.layer) },
                             series: series, notes: source.notes(sites, input) + ["missing bars: the layer has fewer experts, or the expert was never chosen"])
        try ChartFile.write(.bars(chart), to: path, size: size)
        PlotCommand.wrote(path)
    }
}

/// `plot routing-redundancy`: distances beside routing entropy and balance.
struct PlotRoutingRedundancy: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "routing-redundancy", summary: "per layer, expert distances beside routing entropy and balance",
        usage: "mola-inspect plot routing-redundancy <adapter> (--base BASE (--data FILE | --tokens FILE) | --trace DIR | --routing FILE) -o FILE [options]",
        abstract: "Routing beside redundancy for one checkpoint: per layer, the mean pairwise expert distance (top; --projections, default attention) and the routing's normalised entropy and balance term (bottom). The adapter must be a checkpoint (for the distances); routing comes from --base and the data, from a PyTorch routing trace (--trace DIR), or from --routing FILE.json.")

    @Argument(valueName: "adapter", help: "the adapter checkpoint: its distances, and its routing unless --routing") var adapter: FilePath
    @OptionGroup var routing: RoutingRunOptions
    @Option(name: "--routing", valueName: "FILE", help: "saved `routing --json` output to use instead of running the base") var routingJSON: FilePath?
    @Option(name: "--projections", valueName: "SET", help: "the projections whose distances are drawn: attention, mlp, all or a list")
    var projections = ProjectionSelection.attention
    @OptionGroup var figure: FigureOptions
    @OptionGroup var threads: ThreadOptions

    func run() throws {
        let adapterPath = adapter.path
        try figure.refuseReplacing(routing.inputs(adapter: adapterPath) + [.file(routingJSON?.path)])
        let path = figure.path
        let routing = try routingJSON.map { try RoutingInput(json: $0.path) }
            ?? RoutingInput(view: try RoutingCommand.analyse(self.routing, threads: threads.count, adapterPath: adapterPath))
        let options = RedundancyOptions(projections: Set(projections.kinds), threadCount: threads.count)
        let requested = projections
        let redundancy = try RedundancyInput.load(adapterPath, options: options)
        let kinds = redundancy.kinds(in: options.projections)
        let layers = redundancy.layers.map { Double($0.layer) }
        let distances: [Double?] = redundancy.layers.map { layer in
            let means = kinds.compactMap { layer.projections[$0]?.mean }
            return means.count == kinds.count && !means.isEmpty ? means.reduce(0, +) / Double(means.count) : nil
        }
        let entropy: [Double?] = routing.layers.map { layer in
            let values = layer.mixtures.map(\.normalisedEntropy).filter(\.isFinite)
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        let top = LineChart(title: figure.title(standard: "Redundancy and routing: \(URL(fileURLWithPath: adapterPath).lastPathComponent)"),
                            xTitle: "layer", yTitle: "mean " + PlotCommand.metricTitle(metric: redundancy.metric, scaled: redundancy.scaled),
                            series: [LineSeries(name: "mean pairwise distance (\(requested.name))", x: layers, y: distances)])
        let bottom = LineChart(xTitle: "layer", yTitle: "routing (1 = even)",
                               series: [LineSeries(name: "normalised routing entropy (mean over projections)", x: routing.layers.map { Double($0.layer) }, y: entropy),
                                        LineSeries(name: "balance term E·Σ f·mean(P) (pooled per layer)", x: routing.layers.map { Double($0.layer) }, y: routing.layers.map(\.balance))],
                               notes: distances.contains { $0 == nil } ? ["layers with one expert have no distance"] : [])
        try ChartFile.write(.stacked([.line(top), .line(bottom)]), to: path, size: figure.size(panels: 2))
        PlotCommand.wrote(path)
    }
}
