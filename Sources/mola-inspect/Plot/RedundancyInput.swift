import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAFiles

/// Redundancy results for plotting, from a checkpoint (analysed now) or from the saved
/// `redundancy --json` output of one.
struct RedundancyInput {
    /// The path given.
    let source: String
    /// The report: analysed now, or read back.
    let document: RedundancyDocument

    var metric: String { document.metric.rawValue }
    var scaled: Bool { document.scaled }
    /// Layers in order.
    var layers: [RedundancyDocument.Layer] { document.layers }

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
        } catch let error as JSONDocumentError {
            throw CommandError.failed("\(path) is not the JSON output of `mola-inspect redundancy`: \(error.problem)")
        }
    }

    /// A short name for legends: the allocation's digits (or list) and shape, e.g. `2468 (MoLA-▽)`.
    var shortAllocation: String { document.allocationOfExperts.shortName }

    /// The projections of `set` that some layer has.
    func kinds(in set: Set<ProjectionKind>) -> [ProjectionKind] { document.kinds(in: set) }
}
