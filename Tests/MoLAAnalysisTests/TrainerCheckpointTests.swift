// A trainer checkpoint holds the whole model; only its adapter records may be touched.
import Foundation
import MoLATestSupport
import Testing
import MoLAAnalysis
import MoLACheckpoint

@Suite final class TrainerCheckpointTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    /// The base weights' storages are compressed or missing: reading them would fail, so
    /// success shows they were never touched.
    @Test func readsOnlyTheAdapterRecords() throws {
        let prefix = "base_model.model.model.layers.0.self_attn.q_proj"
        var tensors: [(name: String, key: String, storageCount: Int, offset: Int, shape: [Int], strides: [Int])] = []
        var records: [ZipRecord] = []
        var key = 0
        func add(_ name: String, _ shape: [Int], _ values: [Float]) {
            tensors.append((name, String(key), values.count, 0, shape, [shape[1], 1]))
            var writer = ByteWriter(); writer.float32(values)
            records.append(ZipRecord(name: "checkpoint-10/data/\(key)", data: writer.bytes))
            key += 1
        }
        for expert in 0..<3 {
            add("\(prefix).lora_A.default_\(expert).weight", [2, 4], (0..<8).map { Float($0 * (expert + 1)) })
            add("\(prefix).lora_B.default_\(expert).weight", [4, 2], (0..<8).map { Float($0) - Float(expert) })
        }
        add("\(prefix).router.router.weight", [3, 4], Array(repeating: 0.25, count: 12))
        // Base weights: one compressed storage, one whose record does not exist at all.
        tensors.append(("\(prefix).weight", "900", 16, 0, [4, 4], [4, 1]))
        tensors.append(("base_model.model.model.embed_tokens.weight", String(key), 8, 0, [2, 4], [4, 1]))
        records.append(ZipRecord(name: "checkpoint-10/data/\(key)", data: Array(repeating: 0, count: 32), method: 8))
        records.insert(ZipRecord(name: "checkpoint-10/data.pkl", data: stateDictPickle(tensors)), at: 0)
        let path = try scratch.write(zipBytes(records, zip64: true), to: "checkpoint-10/pytorch_model.bin")

        let checkpoint = try Checkpoint(path: scratch.path("checkpoint-10"))
        #expect(checkpoint.adapter.allocation.expertsPerLayer == [3])
        #expect(checkpoint.adapter.ignoredTensorCount == 2)
        #expect(checkpoint.adapter.file.path == path)
        let report = try RedundancyAnalyzer.analyze(checkpoint.adapter, options: RedundancyOptions(projections: [.query]))
        #expect(report.layers[0].projections[0].pairs.count == 3)
        #expect(try FinitenessScan.scan(checkpoint.adapter).isEmpty)
        // Asking for a base weight does fail, with the error of its storage (not, say, an unknown
        // name): the test above is not vacuous.
        #expect(throws: TorchArchiveError.missingStorageRecord(file: path, tensor: "\(prefix).weight", record: "checkpoint-10/data/900")) {
            try checkpoint.adapter.file.record(named: "\(prefix).weight")
        }
        #expect(throws: ZipError.compressedRecord(file: path, name: "checkpoint-10/data/\(key)", method: 8)) {
            try checkpoint.adapter.file.record(named: "base_model.model.model.embed_tokens.weight")
        }
    }
}
