import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAFiles

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
    let allocation: Allocation
    let metric: String
    let scaled: Bool
    let layers: [Layer]

    /// The figures' view of a report, analysed now or read back.
    init(source: String, document: RedundancyDocument) {
        self.source = source
        allocation = Allocation(expertsPerLayer: document.expertsPerLayer)
        metric = document.metric.rawValue
        scaled = document.scaled
        layers = document.layers.map { layer in
            Layer(layer: layer.layer, projections: Dictionary(uniqueKeysWithValues: layer.projections.entries.map { entry in
                (entry.kind, Projection(experts: entry.value.experts, pairs: entry.value.pairs.map { ($0.first, $0.second, $0.distance) },
                                        mean: entry.value.mean))
            }))
        }.sorted { $0.layer < $1.layer }
    }

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
        return RedundancyInput(source: path, document: RedundancyDocument(checkpoint: checkpoint, report: report, projectionSet: ""))
    }

    /// Reads the JSON output of `mola-inspect redundancy`.
    private static func fromJSON(_ path: String) throws -> RedundancyInput {
        do {
            return RedundancyInput(source: path, document: try JSONDocument.read(RedundancyDocument.self, from: path))
        } catch let error as JSONDocumentError where error != .unreadable(file: path) {
            throw CommandError.failed("\(path) is not the JSON output of `mola-inspect redundancy`: \(error.problem)")
        }
    }

    /// The projections of `set` that some layer has.
    func kinds(in set: Set<ProjectionKind>) -> [ProjectionKind] {
        Array(Set(layers.flatMap(\.projections.keys)).intersection(set)).sorted()
    }

    /// A short name for legends: the allocation's digits (or list) and shape, e.g. `2468 (MoLA-▽)`.
    var shortAllocation: String { allocation.shortName }
}
