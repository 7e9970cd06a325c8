import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAFiles
import MoLAModel
import MoLARouting
import MoLAText
import MoLATrain

/// The JSON files the commands read, each beside the real files it is read with, so that the
/// checks made after decoding (ranks against tensors, top-K against experts) run as well.
extension FuzzTarget {
    /// The adapter the config and sidecar targets are read beside: 4 layers, experts 2 4 6 8.
    static let adapterFixture = "small-2468-f32"
    /// The fingerprint the trainer-state seeds carry (the configuration the state belongs to).
    public static let trainerStateFingerprint = "fuzz-fingerprint"

    static func modelConfig(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            let config = try ModelConfig(huggingFaceConfig: directory.write(bytes, to: "config.json"))
            for kind in ProjectionKind.allCases { _ = config.widths(kind) }
        }
    }

    static func adapterConfig(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            try directory.write(bytes, to: Checkpoint.configFileName)
            try directory.link("adapter_model.safetensors", to: FuzzFixtures.path("\(adapterFixture)/adapter_model.safetensors"))
            let checkpoint = try Checkpoint(path: directory.path)
            _ = try checkpoint.topK(requested: nil)
        }
    }

    /// The adapters the framework-config target reads its input beside, one per spelling family.
    static let frameworkFixtures = ["frameworks/moe-peft-mixlora/adapter_model.bin", "frameworks/hydralora/adapter_model.bin",
                                    "frameworks/peft-lora/adapter_model.safetensors"]

    static func frameworkConfig(_ bytes: UnsafeRawBufferPointer) throws {
        let fixture = frameworkFixtures[bytes.count % frameworkFixtures.count]
        try FuzzScratch.withDirectory { directory in
            try directory.write(bytes, to: Checkpoint.configFileName)
            try directory.link(URL(fileURLWithPath: fixture).lastPathComponent, to: FuzzFixtures.path(fixture))
            let checkpoint = try Checkpoint(path: directory.path)
            _ = try checkpoint.topK(requested: nil)
            _ = checkpoint.adapter.parameterCount
        }
    }

    static func sidecar(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            try directory.write(bytes, to: Checkpoint.sidecarFileName)
            try directory.link("adapter_model.safetensors", to: FuzzFixtures.path("\(adapterFixture)/adapter_model.safetensors"))
            try directory.link(Checkpoint.configFileName, to: FuzzFixtures.path("\(adapterFixture)/\(Checkpoint.configFileName)"))
            let checkpoint = try Checkpoint(path: directory.path)
            _ = try checkpoint.topK(requested: nil)
        }
    }

    static func trainerState(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            try directory.write(bytes, to: TrainingState.jsonName)
            if let moments = trainerStateMoments { try directory.link(TrainingState.momentsName, to: moments) }
            _ = try TrainingState.load(from: directory.path, fingerprint: trainerStateFingerprint)
        }
    }

    /// A `trainer_state.safetensors` of 8 moments each, written once per process (nil if it cannot be).
    private static let trainerStateMoments: String? = {
        let path = FuzzScratch.root.appendingPathComponent("mola-fuzz-\(getpid())-moments.safetensors").path
        let values = (0..<8).map { Float($0) / 8 }
        do {
            try SafetensorsWriter.write([.init(name: "first_moment", shape: [8], values: values),
                                         .init(name: "second_moment", shape: [8], values: values)], to: path)
        } catch {
            return nil
        }
        atexit { unlink(FuzzScratch.root.appendingPathComponent("mola-fuzz-\(getpid())-moments.safetensors").path) }
        return path
    }()

    static func tokenizerConfig(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            try directory.write(bytes, to: TokenizerConfig.fileName)
            try directory.link("tokenizer.json", to: FuzzFixtures.path("llama-tokenizer/vocab-300/tokenizer.json"))
            let tokenizer = try BaseTokenizer(baseDirectory: directory.path)
            _ = tokenizer.decode(tokenizer.encode("Hello, world.", appendEnd: true))
        }
    }

    static func redundancyDocument(_ bytes: UnsafeRawBufferPointer) throws {
        let document = try JSONDocument.decode(RedundancyDocument.self, from: Data(bytes), file: "fuzz:redundancy.json")
        // What the plot commands ask of it.
        _ = document.allocationOfExperts.shortName
        _ = document.kinds(in: Set(ProjectionKind.allCases))
        _ = try JSONDocument.rendered(document)
    }

    static func routingDocument(_ bytes: UnsafeRawBufferPointer) throws {
        let document = try JSONDocument.decode(RoutingDocument.self, from: Data(bytes), file: "fuzz:routing.json")
        _ = try JSONDocument.rendered(document)
    }

    /// Read as `eval --json`'s report and as `continual.json`: one of them may accept it.
    static func experimentReport(_ bytes: UnsafeRawBufferPointer) throws {
        let data = Data(bytes)
        var errors: [any Error] = []
        do {
            _ = try JSONDocument.rendered(JSONDocument.decode(EvaluationReport.self, from: data, file: "fuzz:eval.json"))
        } catch {
            errors.append(error)
        }
        do {
            let report = try JSONDocument.decode(ContinualReport.self, from: data, file: "fuzz:continual.json")
            // What plot continual asks of it.
            _ = (report.matrix.overallPerformance, report.matrix.backwardTransfer, try JSONDocument.rendered(report))
        } catch {
            errors.append(error)
        }
        if errors.count == 2 { throw errors[1] }
    }

    /// The shards the index target is read beside: the tiny base's tensors split in two, written once per process.
    private static let shardFiles: [String]? = {
        let directory = FuzzScratch.root.appendingPathComponent("mola-fuzz-\(getpid())-shards")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = try SafetensorsFile(path: FuzzFixtures.path("tiny-model/base/model.safetensors"))
            var paths: [String] = []
            for shard in 0..<2 {
                let entries = try file.records.enumerated().filter { $0.offset % 2 == shard }.map {
                    SafetensorsWriter.Entry(name: $0.element.name, shape: $0.element.shape,
                                            values: try $0.element.doubles().map { Float($0) })
                }
                let path = directory.appendingPathComponent("model-0000\(shard + 1)-of-00002.safetensors").path
                try SafetensorsWriter.write(entries, to: path)
                paths.append(path)
            }
            return paths
        } catch {
            return nil
        }
    }()

    static func shardIndex(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            let index = try directory.write(bytes, to: "model.safetensors.index.json")
            for shard in shardFiles ?? [] { try directory.link(URL(fileURLWithPath: shard).lastPathComponent, to: shard) }
            let file = try ShardedTensorFile(indexPath: index)
            for description in file.descriptions { _ = try file.record(named: description.name).doubles() }
        }
    }

    static func routingTrace(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            try directory.write(bytes, to: RoutingTraceManifest.fileName(rank: 0))
            try directory.link("rank-00000.safetensors", to: FuzzFixtures.path("routing-trace/rank-00000.safetensors"))
            _ = try RoutingTrace(directory: directory.path).report(includePadding: false)
        }
    }
}
