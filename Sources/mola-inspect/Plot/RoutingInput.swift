import Foundation
import MoLAAnalysis
import MoLACheckpoint

/// Routing results for plotting: from the saved `routing --json` output, or computed now.
struct RoutingInput {
    struct Projection {
        let experts: Int
        let shares: [Double]
        let meanWeights: [Double?]
        let normalisedEntropy: Double
    }

    struct Layer {
        let layer: Int
        let balance: Double?
        let projections: [ProjectionKind: Projection]
    }

    let adapter: String
    let layers: [Layer]

    init(view: RoutingView) {
        adapter = view.checkpoint.path
        layers = view.report.layers.map { layer in
            Layer(layer: layer.layer, balance: layer.balance, projections: Dictionary(uniqueKeysWithValues: layer.projections.map {
                ($0.kind, Projection(experts: $0.experts, shares: $0.shares, meanWeights: $0.meanWeightsWhenSelected,
                                     normalisedEntropy: $0.normalisedEntropy))
            }))
        }
    }

    /// Reads the JSON output of `mola-inspect routing`.
    init(json path: String) throws {
        func invalid(_ reason: String) -> CommandError {
            .failed("\(path) is not the JSON output of `mola-inspect routing`: \(reason)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError.failed("cannot read \(path)") }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let adapter = root["adapter"] as? String, let layerObjects = root["layers"] as? [[String: Any]] else {
            throw invalid("no \"adapter\" and \"layers\"")
        }
        self.adapter = adapter
        layers = try layerObjects.map { object in
            guard let index = object["layer"] as? Int, let projections = object["projections"] as? [String: Any] else {
                throw invalid("a layer without \"layer\" and \"projections\"")
            }
            var parsed: [ProjectionKind: Projection] = [:]
            for (name, value) in projections {
                guard let kind = ProjectionKind(checkpointName: name), let fields = value as? [String: Any],
                      let experts = fields["experts"] as? [[String: Any]],
                      let shares = experts.map({ ($0["share"] as? NSNumber)?.doubleValue }) as [Double?]?,
                      !shares.contains(where: { $0 == nil }) else {
                    throw invalid("projection \(name) of layer \(index) lacks expert shares")
                }
                parsed[kind] = Projection(experts: experts.count, shares: shares.map { $0! },
                                          meanWeights: experts.map { ($0["mean_weight_when_selected"] as? NSNumber)?.doubleValue },
                                          normalisedEntropy: (fields["normalised_entropy"] as? NSNumber)?.doubleValue ?? .nan)
            }
            return Layer(layer: index, balance: (object["balance"] as? NSNumber)?.doubleValue, projections: parsed)
        }
    }

    /// From `routing --json` output when `input` is a .json file, else by running the options' base and data.
    static func load(_ input: String, routing: RoutingRunOptions, threads: Int) throws -> RoutingInput {
        var isDirectory: ObjCBool = false
        if input.lowercased().hasSuffix(".json"), FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try RoutingInput(json: input)
        }
        return RoutingInput(view: try RoutingCommand.analyse(routing, threads: threads, adapterPath: input))
    }

    var maximumExperts: Int { layers.flatMap { $0.projections.values.map(\.experts) }.max() ?? 0 }

    /// Per layer, the mean over `kinds` of a per-expert value (nil past a layer's experts or when absent).
    func perExpert(_ kinds: [ProjectionKind], _ value: (Projection, Int) -> Double?) -> [[Double?]] {
        layers.map { layer in
            (0..<maximumExperts).map { expert in
                let values = kinds.compactMap { layer.projections[$0] }.filter { expert < $0.experts }.compactMap { value($0, expert) }
                return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            }
        }
    }
}
