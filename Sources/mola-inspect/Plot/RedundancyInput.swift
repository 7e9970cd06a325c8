import Foundation
import MoLAAnalysis
import MoLACheckpoint

/// Redundancy results for plotting, from a checkpoint (analysed now) or from the saved
/// `redundancy --json` output of one.
struct RedundancyInput {
    struct Projection {
        let experts: Int
        /// `(i, j, distance)`, i < j; NaN for a non-finite distance.
        let pairs: [(Int, Int, Double)]
        let mean: Double?
    }

    struct Layer {
        let layer: Int
        let projections: [ProjectionKind: Projection]
    }

    /// The path given.
    let source: String
    /// E.g. `2468 (MoLA-▽, inverted triangle)`.
    let allocation: String
    let metric: String
    let scaled: Bool
    let layers: [Layer]

    /// Reads `path`: a `.json` file must be `redundancy --json` output; anything else is a checkpoint
    /// to analyse with `options`.
    static func load(_ path: String, options: RedundancyOptions) throws -> RedundancyInput {
        var isDirectory: ObjCBool = false
        if path.lowercased().hasSuffix(".json"), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
           !isDirectory.boolValue {
            return try fromJSON(path)
        }
        let checkpoint = try Checkpoint(path: path)
        let present = Set(checkpoint.adapter.projections.map(\.kind))
        guard !present.isDisjoint(with: options.projections) else {
            throw CommandError.failed(
                "the checkpoint has no experts on \(options.projections.sorted().map(\.checkpointName).joined(separator: ", ")) (it adapts \(present.sorted().map(\.checkpointName).joined(separator: ", "))) (\(path))")
        }
        let report = try RedundancyAnalyzer.analyze(checkpoint.adapter, options: options)
        if !report.nonFiniteTensors.isEmpty {
            throw AnalysisError.nonFiniteValues(file: checkpoint.adapter.file.path, tensors: report.nonFiniteTensors)
        }
        let layers = report.layers.map { layer in
            Layer(layer: layer.layer, projections: Dictionary(uniqueKeysWithValues: layer.projections.map {
                ($0.kind, Projection(experts: $0.expertCount, pairs: $0.pairs.map { ($0.first, $0.second, $0.distance) }, mean: $0.mean))
            }))
        }
        return RedundancyInput(source: path, allocation: checkpoint.adapter.allocation.summary, metric: options.metric.rawValue,
                               scaled: options.metric == .delta && options.scaled, layers: layers)
    }

    private static func fromJSON(_ path: String) throws -> RedundancyInput {
        func invalid(_ reason: String) -> CommandError {
            .failed("\(path) is not the JSON output of `mola-inspect redundancy`: \(reason)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError.failed("cannot read \(path)") }
        guard let object = try? JSONSerialization.jsonObject(with: data), let root = object as? [String: Any] else {
            throw invalid("not a JSON object")
        }
        guard let metric = root["metric"] as? String, let scaled = root["scaled"] as? Bool,
              let layerObjects = root["layers"] as? [[String: Any]] else {
            throw invalid("no \"metric\", \"scaled\" and \"layers\"")
        }
        var layers: [Layer] = []
        for layerObject in layerObjects {
            guard let index = layerObject["layer"] as? Int, let projectionObjects = layerObject["projections"] as? [String: Any] else {
                throw invalid("a layer without \"layer\" and \"projections\"")
            }
            var projections: [ProjectionKind: Projection] = [:]
            for (name, value) in projectionObjects {
                guard let kind = ProjectionKind(checkpointName: name), let fields = value as? [String: Any],
                      let experts = fields["experts"] as? Int, let pairList = fields["pairs"] as? [[Any]] else {
                    throw invalid("projection \(name) of layer \(index) lacks \"experts\" or \"pairs\"")
                }
                var pairs: [(Int, Int, Double)] = []
                for pair in pairList {
                    guard pair.count == 3, let i = pair[0] as? Int, let j = pair[1] as? Int,
                          i >= 0, j > i, j < experts else { throw invalid("a malformed pair in layer \(index) \(name)") }
                    pairs.append((i, j, (pair[2] as? NSNumber)?.doubleValue ?? .nan))
                }
                projections[kind] = Projection(experts: experts, pairs: pairs, mean: (fields["mean"] as? NSNumber)?.doubleValue)
            }
            layers.append(Layer(layer: index, projections: projections))
        }
        return RedundancyInput(source: path, allocation: root["allocation"] as? String ?? "", metric: metric, scaled: scaled,
                               layers: layers.sorted { $0.layer < $1.layer })
    }

    /// The projections of `set` that some layer has.
    func kinds(in set: Set<ProjectionKind>) -> [ProjectionKind] {
        Array(Set(layers.flatMap(\.projections.keys)).intersection(set)).sorted()
    }

    /// A short name for legends: the allocation's digits and shape, e.g. `2468 (MoLA-▽)`.
    var shortAllocation: String {
        guard let comma = allocation.firstIndex(of: ",") else { return allocation }
        return String(allocation[..<comma]) + ")"
    }
}
