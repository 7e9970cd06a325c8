import Foundation
import MoLACheckpoint
import MoLAFiles

/// A routing trace recorded inside a PyTorch job by `python/mola_trace.py`: one manifest and one
/// safetensors shard per process rank (`RoutingTraceManifest` documents both), opened together.
///
/// Opening reads the manifests and the shards' headers and checks that every rank of the world
/// is present, that the ranks agree, and that every tensor the manifests imply is in its shard
/// with its element type and shape; `report` reads the values (and checks expert indices and the
/// mask against the manifest).
public struct RoutingTrace {
    public let directory: String
    /// One per rank, in rank order.
    public let manifests: [RoutingTraceManifest]
    let shards: [SafetensorsFile]
    /// The routed projections, in `ProjectionKind` order.
    public let projections: [ProjectionKind]

    /// Rank 0's manifest: every rank agrees with it.
    public var reference: RoutingTraceManifest { manifests[0] }
    /// Token rows over all ranks, padding included.
    public var tokens: Int { manifests.reduce(0) { $0 + $1.tokens } }

    /// - Throws: `RoutingTraceError`, `JSONDocumentError`, and the safetensors reader's errors.
    public init(directory: String) throws {
        self.directory = directory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let manifestNames = names.filter { $0.range(of: #"^rank-[0-9]{5,}\.json$"#, options: .regularExpression) != nil }.sorted()
        guard !manifestNames.isEmpty else { throw RoutingTraceError.noManifest(directory: directory) }
        var byRank: [Int: (manifest: RoutingTraceManifest, path: String)] = [:]
        for name in manifestNames {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            let manifest = try JSONDocument.read(RoutingTraceManifest.self, from: path)
            try Self.validate(manifest, fileName: name, path: path)
            byRank[manifest.rank] = (manifest, path)
        }
        guard let first = byRank[0]?.manifest else {
            throw RoutingTraceError.missingRank(directory: directory, rank: 0, worldSize: byRank.values.first!.manifest.worldSize)
        }
        for (manifest, path) in byRank.values.sorted(by: { $0.manifest.rank < $1.manifest.rank }) {
            try Self.checkAgreement(manifest, with: first, path: path)
        }
        for rank in 0..<first.worldSize where byRank[rank] == nil {
            throw RoutingTraceError.missingRank(directory: directory, rank: rank, worldSize: first.worldSize)
        }
        manifests = (0..<first.worldSize).map { byRank[$0]!.manifest }
        projections = first.projections.compactMap(ProjectionKind.init(checkpointName:)).sorted()
        var shards: [SafetensorsFile] = []
        for rank in 0..<first.worldSize {
            let (manifest, path) = byRank[rank]!
            let shardPath = URL(fileURLWithPath: directory).appendingPathComponent(manifest.shard).path
            guard !manifest.shard.contains("/"), manifest.shard != "..", FileManager.default.fileExists(atPath: shardPath) else {
                throw RoutingTraceError.missingShard(file: path, shard: manifest.shard)
            }
            let shard = try SafetensorsFile(path: shardPath)
            try Self.checkTensors(of: shard, manifest: manifest, projections: projections)
            shards.append(shard)
        }
        self.shards = shards
    }

    /// The manifest's own consistency: its name, rank, layer lists and counts.
    private static func validate(_ manifest: RoutingTraceManifest, fileName: String, path: String) throws {
        guard manifest.format == RoutingTraceManifest.formatName, manifest.version == RoutingTraceManifest.currentVersion else {
            throw RoutingTraceError.notATrace(file: path, format: manifest.format, version: manifest.version)
        }
        func invalid(_ reason: String) -> RoutingTraceError { .invalidManifest(file: path, reason: reason) }
        guard manifest.worldSize >= 1, (0..<manifest.worldSize).contains(manifest.rank) else {
            throw invalid("rank \(manifest.rank) is not within a world of \(manifest.worldSize)")
        }
        guard fileName == RoutingTraceManifest.fileName(rank: manifest.rank) else {
            throw invalid("the file of rank \(manifest.rank) is named \(fileName)")
        }
        guard !manifest.expertsPerLayer.isEmpty, manifest.topK.count == manifest.expertsPerLayer.count else {
            throw invalid("\(manifest.expertsPerLayer.count) layers of experts and \(manifest.topK.count) of top-K")
        }
        for (layer, (experts, topK)) in zip(manifest.expertsPerLayer, manifest.topK).enumerated()
            where experts < 1 || experts > 1 << 16 || topK < 1 || topK > experts {
            throw invalid("layer \(layer) has top-K \(topK) of \(experts) experts")
        }
        let kinds = manifest.projections.map(ProjectionKind.init(checkpointName:))
        guard !kinds.isEmpty, !kinds.contains(nil), Set(manifest.projections).count == kinds.count else {
            throw invalid("projections \(manifest.projections) are not distinct LLaMA projection names")
        }
        guard manifest.tokens >= 0, (0...manifest.tokens).contains(manifest.countedTokens) else {
            throw invalid("\(manifest.countedTokens) counted tokens of \(manifest.tokens)")
        }
    }

    /// Every rank must have recorded the same model the same way.
    private static func checkAgreement(_ manifest: RoutingTraceManifest, with first: RoutingTraceManifest, path: String) throws {
        let fields: [(String, String, String)] = [
            ("world_size", "\(first.worldSize)", "\(manifest.worldSize)"),
            ("model", first.model, manifest.model),
            ("projections", "\(first.projections)", "\(manifest.projections)"),
            ("experts_per_layer", "\(first.expertsPerLayer)", "\(manifest.expertsPerLayer)"),
            ("top_k", "\(first.topK)", "\(manifest.topK)"),
            ("full_softmax", "\(first.fullSoftmax)", "\(manifest.fullSoftmax)"),
        ]
        for (field, expected, found) in fields where expected != found {
            throw RoutingTraceError.ranksDisagree(file: path, field: field, expected: expected, found: found)
        }
    }

    /// Each tensor the manifest implies, with its element type and shape.
    private static func checkTensors(of shard: SafetensorsFile, manifest: RoutingTraceManifest, projections: [ProjectionKind]) throws {
        func check(_ name: String, _ type: String, _ shape: [Int]) throws {
            guard let record = try? shard.record(named: name) else {
                throw RoutingTraceError.missingTensor(shard: shard.path, tensor: name)
            }
            guard record.storedTypeName == type, record.shape == shape else {
                throw RoutingTraceError.tensorMismatch(shard: shard.path, tensor: name, expected: "\(type) \(shape)",
                                                       found: "\(record.storedTypeName) \(record.shape)")
            }
        }
        let n = manifest.tokens
        try check(RoutingTraceManifest.maskName, "U8", [n])
        for (layer, (experts, topK)) in zip(manifest.expertsPerLayer, manifest.topK).enumerated() {
            for kind in projections {
                let name = { RoutingTraceManifest.tensorName(layer: layer, projection: kind.checkpointName, field: $0) }
                try check(name("indices"), "I32", [n, topK])
                try check(name("probabilities"), "F32", [n, topK])
                if manifest.fullSoftmax { try check(name("softmax"), "F32", [n, experts]) }
            }
        }
    }
}
