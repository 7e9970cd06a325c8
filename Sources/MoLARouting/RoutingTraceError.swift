/// A routing trace directory that cannot be analysed, each failure its own case.
public enum RoutingTraceError: Error, Equatable, CustomStringConvertible {
    /// No `rank-NNNNN.json` manifest in the directory.
    case noManifest(directory: String)
    /// A manifest whose `format` is not `mola-routing-trace`, or whose `version` this reader does not read.
    case notATrace(file: String, format: String, version: Int)
    /// A manifest whose numbers contradict themselves (`reason` says which).
    case invalidManifest(file: String, reason: String)
    /// Rank `rank` of `worldSize` has no manifest.
    case missingRank(directory: String, rank: Int, worldSize: Int)
    /// A manifest names a shard that is not in its directory (or is not a file name).
    case missingShard(file: String, shard: String)
    /// Two ranks' manifests disagree on `field`.
    case ranksDisagree(file: String, field: String, expected: String, found: String)
    /// The shard lacks a tensor its manifest implies.
    case missingTensor(shard: String, tensor: String)
    /// A tensor of the wrong element type or shape for the manifest.
    case tensorMismatch(shard: String, tensor: String, expected: String, found: String)
    /// An expert index outside 0..<experts.
    case indexOutOfRange(shard: String, tensor: String, token: Int, index: Int, experts: Int)
    /// The mask counts a different number of real tokens than the manifest says.
    case countedTokens(shard: String, manifest: Int, mask: Int)
    /// The trace was recorded on an adapter with other expert counts.
    case allocationMismatch(directory: String, trace: [Int], adapter: [Int])
    /// The statistics need every expert's probability, and the trace kept only the top-K.
    case noFullSoftmax(directory: String)

    public var description: String {
        switch self {
        case let .noManifest(directory):
            "no routing trace here: no rank-NNNNN.json manifest (\(directory))"
        case let .notATrace(file, format, version):
            "not a routing trace this version reads: format \"\(format)\" version \(version), expected \"\(RoutingTraceManifest.formatName)\" version \(RoutingTraceManifest.currentVersion) (\(file))"
        case let .invalidManifest(file, reason):
            "invalid routing trace manifest: \(reason) (\(file))"
        case let .missingRank(directory, rank, worldSize):
            "the trace has no manifest for rank \(rank) of \(worldSize) (\(directory))"
        case let .missingShard(file, shard):
            "the manifest names shard \(shard), which is not in its directory (\(file))"
        case let .ranksDisagree(file, field, expected, found):
            "the ranks disagree on \(field): \(found) here, \(expected) in rank 0 (\(file))"
        case let .missingTensor(shard, tensor):
            "the shard has no tensor \(tensor) (\(shard))"
        case let .tensorMismatch(shard, tensor, expected, found):
            "tensor \(tensor) is \(found), expected \(expected) (\(shard))"
        case let .indexOutOfRange(shard, tensor, token, index, experts):
            "tensor \(tensor) chooses expert \(index) for token \(token), outside 0..<\(experts) (\(shard))"
        case let .countedTokens(shard, manifest, mask):
            "the mask counts \(mask) real tokens, the manifest \(manifest) (\(shard))"
        case let .allocationMismatch(directory, trace, adapter):
            "the trace was recorded with experts per layer \(trace), the adapter has \(adapter) (\(directory))"
        case let .noFullSoftmax(directory):
            "the trace kept only the top-K probabilities; mean probabilities, balance and entropies need the whole softmax: record with full_softmax=True (\(directory))"
        }
    }
}
