// A Hugging Face base as the Hub publishes it: sharded safetensors or torch.save files with an
// index, in F32, F16 or BF16, loads the same weights as the tiny fixture's single file.
import Foundation
import MoLACheckpoint
import MoLAFiles
import MoLATensor
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite final class ShardedBaseTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let fixture = Fixtures.path("tiny-model/base")

    private static func fixtureEntries() throws -> [SafetensorsWriter.Entry] {
        try SafetensorsFile(path: "\(fixture)/model.safetensors").records.map {
            SafetensorsWriter.Entry(name: $0.name, shape: $0.shape, values: try $0.doubles().map { Float($0) })
        }
    }

    /// The fixture's base split into `shardCount` shards (`torch` for pytorch_model-*.bin) of `dtype`.
    private func shardedBase(_ name: String, shardCount: Int, torch: Bool, dtype: DType = .float32) throws -> String {
        let directory = scratch.path(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(Self.fixture)/config.json", toPath: "\(directory)/config.json")
        let entries = try Self.fixtureEntries()
        var weightMap: [String: String] = [:]
        for shard in 0..<shardCount {
            let part = entries.enumerated().filter { $0.offset % shardCount == shard }.map(\.element)
            let file = torch ? "pytorch_model-0000\(shard + 1)-of-0000\(shardCount).bin"
                             : "model-0000\(shard + 1)-of-0000\(shardCount).safetensors"
            if torch {
                try TorchSaveWriter.write(part, to: "\(directory)/\(file)")
            } else {
                try SafetensorsWriter.write(part, dtype: dtype, to: "\(directory)/\(file)")
            }
            for entry in part { weightMap[entry.name] = file }
        }
        let index = torch ? "pytorch_model.bin.index.json" : "model.safetensors.index.json"
        try JSONDocument.write(ShardIndex(weightMap: weightMap), to: "\(directory)/\(index)")
        return directory
    }

    private func weights(_ model: LlamaModel) -> [Double] {
        Array(UnsafeBufferPointer(start: model.base.values.pointer, count: model.base.count)).map(Double.init)
    }

    @Test func shardedSafetensorsAndTorchBasesLoadTheFixtureWeights() throws {
        let reference = weights(try LlamaModel.load(baseDirectory: Self.fixture, adapter: nil, batch: 1, time: 4))
        for (name, torch) in [("safetensors", false), ("bin", true)] {
            let path = try shardedBase(name, shardCount: 3, torch: torch)
            assertClose(weights(try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 4)), reference, atol: 0)
        }
    }

    /// F16 and BF16 shards hold the fixture's weights rounded to their type.
    @Test func halfPrecisionShardsLoadTheirRoundedValues() throws {
        let reference = weights(try LlamaModel.load(baseDirectory: Self.fixture, adapter: nil, batch: 1, time: 4))
        for (dtype, tolerance) in [(DType.float16, 1.0 / 1024), (.bfloat16, 1.0 / 128)] {
            let path = try shardedBase("\(dtype)", shardCount: 2, torch: false, dtype: dtype)
            assertClose(weights(try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 4)), reference,
                        rtol: tolerance, atol: 1e-4)
        }
    }

    /// The layer-by-layer pass reads shards of every format and type as the full model loads them.
    @Test func theLayerwisePassReadsShardsAsTheFullModelLoadsThem() throws {
        let tokens = (0..<8).map { ($0 * 41 + 3) % 300 }
        for (name, torch, dtype) in [("f16", false, DType.float16), ("bf16", false, .bfloat16), ("bin", true, .float32)] {
            let path = try shardedBase(name, shardCount: 3, torch: torch, dtype: dtype)
            let full = try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 8)
            let layerwise = try LayerwiseModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 8, threadCount: 2)
            assertClose(try layerwise.logits(tokens: tokens).map(Double.init), try full.logits(tokens: tokens).map(Double.init),
                        rtol: 0, atol: 2e-5, name)
        }
    }

    @Test func aShardedBaseMissingATensorNamesIt() throws {
        let path = try shardedBase("partial", shardCount: 2, torch: false)
        let indexPath = "\(path)/model.safetensors.index.json"
        var index = try ShardIndex(path: indexPath)
        let shard = try #require(index.weightMap["model.norm.weight"])
        var entries = try Self.fixtureEntries().filter { index.weightMap[$0.name] == shard && $0.name != "model.norm.weight" }
        entries.sort { $0.name < $1.name }
        try SafetensorsWriter.write(entries, to: "\(path)/\(shard)")
        index.weightMap["model.norm.weight"] = nil
        try JSONDocument.write(index, to: indexPath)
        #expect(throws: ModelError.missingTensor(file: indexPath, tensor: "model.norm.weight", expected: [64])) {
            try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 4)
        }
    }
}
