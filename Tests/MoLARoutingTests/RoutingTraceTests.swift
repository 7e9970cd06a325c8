// Routing traces recorded in PyTorch by python/mola_trace.py, written for the tiny fixture model
// by Tests/Fixtures/generate_routing_trace.py (two ranks, padded batches): their statistics equal
// the in-process routing of the same tokens, and each way a trace can be broken has its error.
import Foundation
@testable import MoLACheckpoint
import MoLAFiles
import MoLAModel
import MoLATestSupport
import Testing
@testable import MoLARouting

@Suite final class RoutingTraceTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let trace = Fixtures.path("routing-trace")
    static let model = Fixtures.path("tiny-model")

    @Test func statisticsEqualTheInProcessRouting() throws {
        let sequences = try JSONDecoder().decode([[Int]].self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.trace)/tokens.json")))
        let model = try LlamaModel.load(baseDirectory: "\(Self.model)/base", adapter: Checkpoint(path: "\(Self.model)/adapter"),
                                        topK: [2, 2, 2], batch: 4, time: 12)
        let expected = try RoutingRun.run(model: model, sequences: sequences, padding: 0, includePadding: false, maxTokens: nil)
        let trace = try RoutingTrace(directory: Self.trace)
        #expect(trace.manifests.map(\.rank) == [0, 1])
        #expect(trace.tokens == 48)
        let found = try trace.report(includePadding: false)
        #expect(found.tokens == expected.tokens && found.tokens == sequences.joined().count)
        #expect(found.nearTies == expected.nearTies)
        #expect(found.layers.count == expected.layers.count)
        for (ours, theirs) in zip(found.layers.flatMap(\.projections), expected.layers.flatMap(\.projections)) {
            let label = "\(theirs.layer).\(theirs.site.checkpointName)"
            #expect(ours.layer == theirs.layer && ours.site == theirs.site && ours.topK == theirs.topK, "\(label)")
            #expect(ours.selected == theirs.selected, "\(label)")
            assertClose(ours.meanProbabilities, theirs.meanProbabilities, rtol: 0, atol: 1e-6, label)
            assertClose(ours.meanWeightsWhenSelected.map { $0 ?? -1 }, theirs.meanWeightsWhenSelected.map { $0 ?? -1 },
                        rtol: 0, atol: 1e-6, label)
            assertClose(ours.meanTokenEntropy, theirs.meanTokenEntropy, rtol: 0, atol: 1e-6, label)
            assertClose(ours.balance, theirs.balance, rtol: 0, atol: 1e-6, label)
        }
        for (ours, theirs) in zip(found.layers, expected.layers) {
            assertClose(ours.balance ?? .nan, theirs.balance ?? .nan, rtol: 0, atol: 1e-6)
        }
        // With the padding rows: every row of both ranks.
        #expect(try trace.report(includePadding: true).tokens == 48)
    }

    /// A copy of the fixture trace to break.
    private func copy() throws -> String {
        let path = scratch.path("trace")
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: Self.trace, toPath: path)
        return path
    }

    private func editManifest(_ directory: String, rank: Int, _ change: (inout RoutingTraceManifest) -> Void) throws {
        let path = "\(directory)/\(RoutingTraceManifest.fileName(rank: rank))"
        var manifest = try JSONDocument.read(RoutingTraceManifest.self, from: path)
        change(&manifest)
        try JSONDocument.write(manifest, to: path)
    }

    @Test func aMissingRankOrShard() throws {
        let noRank = try copy()
        try FileManager.default.removeItem(atPath: "\(noRank)/rank-00001.json")
        #expect(throws: RoutingTraceError.missingRank(directory: noRank, rank: 1, worldSize: 2)) { try RoutingTrace(directory: noRank) }
        let noShard = try copy()
        try FileManager.default.removeItem(atPath: "\(noShard)/rank-00001.safetensors")
        #expect(throws: RoutingTraceError.missingShard(file: "\(noShard)/rank-00001.json", shard: "rank-00001.safetensors")) {
            try RoutingTrace(directory: noShard)
        }
        let empty = scratch.path("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(throws: RoutingTraceError.noManifest(directory: empty)) { try RoutingTrace(directory: empty) }
    }

    @Test func ranksThatDisagree() throws {
        let path = try copy()
        try editManifest(path, rank: 1) { $0.topK = [2, 1, 2] }
        #expect(throws: RoutingTraceError.ranksDisagree(file: "\(path)/rank-00001.json", field: "top_k", expected: "[2, 2, 2]", found: "[2, 1, 2]")) {
            try RoutingTrace(directory: path)
        }
    }

    @Test func aManifestThatDisagreesWithItsShard() throws {
        let rows = try copy()
        try editManifest(rows, rank: 0) { $0.tokens = 25 }
        #expect(throws: RoutingTraceError.tensorMismatch(shard: "\(rows)/rank-00000.safetensors", tensor: "mask", expected: "U8 [25]", found: "U8 [24]")) {
            try RoutingTrace(directory: rows)
        }
        let counted = try copy()
        try editManifest(counted, rank: 0) { $0.countedTokens = 20 }
        #expect(throws: RoutingTraceError.countedTokens(shard: "\(counted)/rank-00000.safetensors", manifest: 20, mask: 19)) {
            try RoutingTrace(directory: counted).report(includePadding: false)
        }
        let foreign = try copy()
        try editManifest(foreign, rank: 0) { $0.format = "something-else" }
        #expect(throws: RoutingTraceError.notATrace(file: "\(foreign)/rank-00000.json", format: "something-else", version: 1)) {
            try RoutingTrace(directory: foreign)
        }
        let contradictory = try copy()
        try editManifest(contradictory, rank: 0) { $0.topK = [2, 5, 2] }
        #expect(throws: RoutingTraceError.invalidManifest(file: "\(contradictory)/rank-00000.json", reason: "layer 1 has top-K 5 of 4 experts")) {
            try RoutingTrace(directory: contradictory)
        }
    }

    @Test func anExpertIndexOutOfRange() throws {
        let path = try copy()
        let shardPath = "\(path)/rank-00001.safetensors"
        let record = try SafetensorsFile(path: shardPath).record(named: "layers.2.v_proj.indices")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: shardPath)))
        // Token 3's second choice becomes expert 7 of 3.
        let offset = record.storage.byteOffset + (3 * 2 + 1) * 4
        bytes.replaceSubrange(offset..<(offset + 4), with: [7, 0, 0, 0])
        try Data(bytes).write(to: URL(fileURLWithPath: shardPath))
        #expect(throws: RoutingTraceError.indexOutOfRange(shard: shardPath, tensor: "layers.2.v_proj.indices", token: 3, index: 7, experts: 3)) {
            try RoutingTrace(directory: path).report(includePadding: false)
        }
    }

    @Test func aTruncatedShard() throws {
        let path = try copy()
        let shardPath = "\(path)/rank-00000.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: shardPath))
        try bytes.prefix(bytes.count - 16).write(to: URL(fileURLWithPath: shardPath))
        #expect(throws: SafetensorsError.offsetsOutOfRange(file: shardPath, tensor: "layers.2.down_proj.softmax", end: 14136, bufferSize: 14120)) {
            try RoutingTrace(directory: path)
        }
    }

    @Test func aTraceWithoutTheWholeSoftmax() throws {
        let path = try copy()
        for rank in 0..<2 { try editManifest(path, rank: rank) { $0.fullSoftmax = false } }
        let trace = try RoutingTrace(directory: path)
        #expect(throws: RoutingTraceError.noFullSoftmax(directory: path)) { try trace.report(includePadding: false) }
    }
}
