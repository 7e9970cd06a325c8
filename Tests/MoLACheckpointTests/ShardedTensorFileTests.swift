// Sharded Hugging Face checkpoints: an index (`*.index.json`) and its safetensors or torch.save
// shards read as one file, and each way the index and the shards can disagree.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite final class ShardedTensorFileTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    /// Shard name to its tensors; each tensor's values count up from its position.
    typealias Shards = [String: [String]]

    private static func entries(_ names: [String]) -> [SafetensorsWriter.Entry] {
        names.enumerated().map { index, name in
            SafetensorsWriter.Entry(name: name, shape: [2, 3], values: (0..<6).map { Float(index * 10 + $0) })
        }
    }

    /// A directory with `shards` (safetensors, or torch.save when `torch`) and an index listing `weightMap`.
    private func directory(_ shards: Shards, weightMap: [String: String], torch: Bool = false) throws -> String {
        let directory = scratch.path("model")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, tensors) in shards {
            let path = "\(directory)/\(name)"
            if torch {
                try TorchSaveWriter.write(Self.entries(tensors), to: path)
            } else {
                try SafetensorsWriter.write(Self.entries(tensors), to: path)
            }
        }
        let indexName = torch ? "pytorch_model.bin.index.json" : "model.safetensors.index.json"
        try JSONDocument.write(ShardIndex(metadata: .init(totalSize: 0), weightMap: weightMap), to: "\(directory)/\(indexName)")
        return directory
    }

    private var indexPath: String { scratch.path("model/model.safetensors.index.json") }

    @Test func safetensorsAndTorchShardsReadAsOneFile() throws {
        let shards: Shards = ["model-00001-of-00002.safetensors": ["a", "b"], "model-00002-of-00002.safetensors": ["c"]]
        for torch in [false, true] {
            try? FileManager.default.removeItem(atPath: scratch.path("model"))
            let renamed = Dictionary(uniqueKeysWithValues: shards.map { (torch ? $0.key.replacingOccurrences(of: "safetensors", with: "bin") : $0.key, $0.value) })
            let weightMap = Dictionary(uniqueKeysWithValues: renamed.flatMap { shard, tensors in tensors.map { ($0, shard) } })
            let file = try BaseWeightFiles.open(directory: try directory(renamed, weightMap: weightMap, torch: torch))
            #expect(Set(file.descriptions.map(\.name)) == ["a", "b", "c"])
            #expect(file.formatName == (torch ? "sharded torch.save" : "sharded safetensors"))
            // Each tensor's values are those its shard wrote (position within the shard).
            assertClose(try file.record(named: "b").doubles(), (10..<16).map(Double.init), atol: 0)
            assertClose(try file.record(named: "c").doubles(), (0..<6).map(Double.init), atol: 0)
            #expect(throws: TensorFileError.noSuchTensor(file: file.path, tensor: "d")) { try file.record(named: "d") }
        }
    }

    @Test func aSingleFileIsPreferredToAnIndex() throws {
        let path = try directory(["model-1.safetensors": ["a"]], weightMap: ["a": "model-1.safetensors"])
        try SafetensorsWriter.write(Self.entries(["x"]), to: "\(path)/model.safetensors")
        #expect(try BaseWeightFiles.open(directory: path).descriptions.map(\.name) == ["x"])
    }

    @Test func anIndexNamingAMissingShard() throws {
        let path = try directory(["one.safetensors": ["a"]], weightMap: ["a": "one.safetensors", "b": "two.safetensors"])
        #expect(throws: ShardIndexError.missingShard(index: indexPath, shard: "two.safetensors")) {
            try BaseWeightFiles.open(directory: path)
        }
    }

    @Test func aShardOutsideTheIndexDirectory() throws {
        for shard in ["../one.safetensors", "/tmp/one.safetensors", "", ".."] {
            let path = try directory(["one.safetensors": ["a"]], weightMap: ["a": shard])
            #expect(throws: ShardIndexError.shardOutsideDirectory(index: indexPath, shard: shard)) {
                try BaseWeightFiles.open(directory: path)
            }
        }
    }

    @Test func aTensorInTwoShards() throws {
        let path = try directory(["one.safetensors": ["a", "b"], "two.safetensors": ["b"]],
                                 weightMap: ["a": "one.safetensors", "b": "two.safetensors"])
        #expect(throws: ShardIndexError.tensorInTwoShards(index: indexPath, tensor: "b", first: "one.safetensors", second: "two.safetensors")) {
            try BaseWeightFiles.open(directory: path)
        }
    }

    @Test func aTensorTheIndexDoesNotList() throws {
        let path = try directory(["one.safetensors": ["a", "b"]], weightMap: ["a": "one.safetensors"])
        #expect(throws: ShardIndexError.tensorNotListed(index: indexPath, tensor: "b", shard: "one.safetensors")) {
            try BaseWeightFiles.open(directory: path)
        }
    }

    @Test func anIndexListingATensorInTheWrongShardOrNowhere() throws {
        let wrong = try directory(["one.safetensors": ["a"], "two.safetensors": ["b"]],
                                  weightMap: ["a": "two.safetensors", "b": "two.safetensors"])
        #expect(throws: ShardIndexError.tensorNotInShard(index: indexPath, tensor: "a", shard: "two.safetensors")) {
            try BaseWeightFiles.open(directory: wrong)
        }
        try FileManager.default.removeItem(atPath: wrong)
        let absent = try directory(["one.safetensors": ["a"]], weightMap: ["a": "one.safetensors", "ghost": "one.safetensors"])
        #expect(throws: ShardIndexError.tensorNotInShard(index: indexPath, tensor: "ghost", shard: "one.safetensors")) {
            try BaseWeightFiles.open(directory: absent)
        }
    }

    @Test func aTruncatedShardIsRefusedByItsReader() throws {
        let path = try directory(["one.safetensors": ["a"]], weightMap: ["a": "one.safetensors"])
        let shard = "\(path)/one.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: shard))
        try bytes.prefix(bytes.count - 4).write(to: URL(fileURLWithPath: shard))
        #expect(throws: SafetensorsError.offsetsOutOfRange(file: shard, tensor: "a", end: 24, bufferSize: 20)) {
            try BaseWeightFiles.open(directory: path)
        }
    }

    @Test func anIndexThatIsNotAnIndex() throws {
        let path = scratch.path("bad")
        try scratch.write(Array(#"{"weight_map": {"a": 3}}"#.utf8), to: "bad/model.safetensors.index.json")
        #expect(throws: JSONDocumentError.invalidField(file: "\(path)/model.safetensors.index.json", field: "weight_map.a",
                                                       expected: "a string")) {
            try BaseWeightFiles.open(directory: path)
        }
    }

    @Test func aDirectoryWithoutWeights() throws {
        let path = scratch.path("empty")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(throws: BaseWeightFilesError.noWeights(directory: path, lookedFor: BaseWeightFiles.fileNames)) {
            try BaseWeightFiles.open(directory: path)
        }
    }
}
