import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAPlot

/// `mola-inspect plot routing|routing-weights|routing-redundancy`: routing figures.
enum PlotRouting {
    static let routingOptions = [RoutingCommand.base, RoutingCommand.data, RoutingCommand.tokens, SharedOptions.topK,
                                 RoutingCommand.includePadding, RoutingCommand.maxTokens, RoutingCommand.length, RoutingCommand.batch]
    static let options = routingOptions + [RedundancyCommand.projections] + FigureOptions.all + [SharedOptions.threads]
    static let inputs = "<adapter> --base DIR (--data FILE | --tokens FILE), or <routing.json>"

    static let shareHelp = helpText(usage: "mola-inspect plot routing \(inputs) -o FILE [options]",
        summary: "Selection share of every expert, layer by layer, as a layer x expert heatmap (mean over the projections chosen with --projections, default all). Empty cells: the layer has fewer experts.",
        options: options)
    static let weightHelp = helpText(usage: "mola-inspect plot routing-weights \(inputs) -o FILE [options]",
        summary: "Per layer, each expert's mean renormalised routing weight over the tokens that chose it, as grouped bars (mean over --projections, default all).",
        options: options)
    static let besideHelp = helpText(usage: "mola-inspect plot routing-redundancy \(inputs) [--adapter-checkpoint] -o FILE [options]",
        summary: "Routing beside redundancy for one checkpoint: per layer, the mean pairwise expert distance (top; --projections, default attention) and the routing's normalised entropy and balance term (bottom). The adapter must be a checkpoint (for the distances); routing comes from --base and the data, or from --routing FILE.json.",
        options: options + [routingJSON])
    static let routingJSON = OptionSpec(name: "--routing", valueName: "FILE", help: "saved `routing --json` output to use instead of running the base")

    @Sendable static func shares(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options)
        if arguments.wantsHelp { return print(shareHelp) }
        let (input, kinds, path, size) = try common(arguments)
        let values = input.perExpert(kinds) { $0.shares[$1] }
        let chart = Heatmap(title: FigureOptions.title(arguments, standard: "Selection share per expert: \(URL(fileURLWithPath: input.adapter).lastPathComponent)"),
                            xTitle: "expert", yTitle: "layer", rowLabels: input.layers.map { String($0.layer) },
                            columnLabels: (0..<input.maximumExperts).map(String.init), values: values,
                            colorbarTitle: "share of selections", notes: notes(kinds, input))
        try ChartFile.write(.heatmap(chart), to: path, size: size)
        PlotCommand.wrote(path)
    }

    @Sendable static func weights(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options)
        if arguments.wantsHelp { return print(weightHelp) }
        let (input, kinds, path, size) = try common(arguments)
        let values = input.perExpert(kinds) { $0.meanWeights[$1] }
        let series = (0..<input.maximumExperts).map { expert in BarSeries(name: "expert \(expert)", values: values.map { $0[expert] }) }
        let chart = BarChart(title: FigureOptions.title(arguments, standard: "Mean routing weight when chosen: \(URL(fileURLWithPath: input.adapter).lastPathComponent)"),
                             xTitle: "layer", yTitle: "mean renormalised weight", categories: input.layers.map { String($0.layer) },
                             series: series, notes: notes(kinds, input) + ["missing bars: the layer has fewer experts, or the expert was never chosen"])
        try ChartFile.write(.bars(chart), to: path, size: size)
        PlotCommand.wrote(path)
    }

    @Sendable static func beside(_ rawArguments: [String]) throws {
        let arguments = try parseArguments(rawArguments, options: options + [routingJSON])
        if arguments.wantsHelp { return print(besideHelp) }
        guard arguments.positionals.count == 1 else { throw UsageError("give exactly one adapter checkpoint") }
        let adapterPath = arguments.positionals[0]
        let path = try FigureOptions.path(arguments)
        let size = try FigureOptions.size(arguments)
        let routing = try arguments.value(routingJSON.name).map { try RoutingInput(json: $0) }
            ?? RoutingInput(view: try RoutingCommand.analyse(arguments, adapterPath: adapterPath))
        var (options, requested) = try RedundancyCommand.analysisOptions(arguments)
        if arguments.value(RedundancyCommand.projections.name) == nil { (options.projections, requested.name) = (Set(ProjectionKind.attention), "attention") }
        let redundancy = try RedundancyInput.load(adapterPath, options: options)
        let kinds = redundancy.kinds(in: options.projections)
        let layers = redundancy.layers.map { Double($0.layer) }
        let distances: [Double?] = redundancy.layers.map { layer in
            let means = kinds.compactMap { layer.projections[$0]?.mean }
            return means.count == kinds.count && !means.isEmpty ? means.reduce(0, +) / Double(means.count) : nil
        }
        let entropy: [Double?] = routing.layers.map { layer in
            let values = layer.projections.values.map(\.normalisedEntropy).filter(\.isFinite)
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        let top = LineChart(title: FigureOptions.title(arguments, standard: "Redundancy and routing: \(URL(fileURLWithPath: adapterPath).lastPathComponent)"),
                            xTitle: "layer", yTitle: "mean " + PlotCommand.metricTitle(metric: redundancy.metric, scaled: redundancy.scaled),
                            series: [LineSeries(name: "mean pairwise distance (\(requested.name))", x: layers, y: distances)])
        let bottom = LineChart(xTitle: "layer", yTitle: "routing (1 = even)",
                               series: [LineSeries(name: "normalised routing entropy (mean over projections)", x: routing.layers.map { Double($0.layer) }, y: entropy),
                                        LineSeries(name: "balance term E·Σ f·mean(P) (pooled per layer)", x: routing.layers.map { Double($0.layer) }, y: routing.layers.map(\.balance))],
                               notes: distances.contains { $0 == nil } ? ["layers with one expert have no distance"] : [])
        try ChartFile.write(.stacked([.line(top), .line(bottom)]), to: path, size: FigureSize(widthPixels: size.widthPixels,
                            heightPixels: arguments.value(FigureOptions.height.name) == nil ? size.heightPixels * 3 / 2 : size.heightPixels, dpi: size.dpi))
        PlotCommand.wrote(path)
    }

    private static func common(_ arguments: ParsedArguments) throws -> (RoutingInput, [ProjectionKind], String, FigureSize) {
        guard arguments.positionals.count == 1 else { throw UsageError("give exactly one adapter checkpoint or routing JSON file") }
        let path = try FigureOptions.path(arguments)
        let size = try FigureOptions.size(arguments)
        let requested = try RedundancyCommand.projectionSet(arguments.value(RedundancyCommand.projections.name) ?? "all")
        let input = try RoutingInput.load(arguments.positionals[0], arguments: arguments)
        let present = Set(input.layers.flatMap(\.projections.keys))
        let kinds = requested.kinds.filter(present.contains)
        guard !kinds.isEmpty else { throw CommandError.failed("the routing has no \(requested.name) projections (\(arguments.positionals[0]))") }
        return (input, kinds, path, size)
    }

    private static func notes(_ kinds: [ProjectionKind], _ input: RoutingInput) -> [String] {
        ["mean over \(kinds.map(\.checkpointName).joined(separator: ", "))"]
    }
}
