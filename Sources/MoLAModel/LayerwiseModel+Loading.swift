import Foundation
import MoLACheckpoint

extension LayerwiseModel {
    /// Maps a Hugging Face LLaMA directory's weights (`BaseWeightFiles`: one file or shards,
    /// F32, F16 or BF16) without converting them, optionally with a MoLA adapter.
    ///
    /// - Parameters:
    ///   - topK: top-K per layer for the adapter (see `TopKPolicy`; default: the checkpoint's).
    /// - Throws: `ModelError` for a base that is not LLaMA or an adapter that does not fit it,
    ///   and the readers' errors.
    public static func load(baseDirectory: String, adapter checkpoint: Checkpoint?, topK: [Int]? = nil,
                            batch: Int, time: Int, threadCount: Int = 1) throws -> LayerwiseModel {
        let configPath = URL(fileURLWithPath: baseDirectory).appendingPathComponent("config.json").path
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ModelError.invalidConfig("no config.json: \(baseDirectory) is not a Hugging Face model directory")
        }
        let config = try ModelConfig(huggingFaceConfig: configPath)
        let spec = try AdapterSpec.checked(config: config, adapter: checkpoint, topK: topK, balanceCoefficient: nil)
        let model = try LayerwiseModel(config: config, adapter: spec, file: BaseWeightFiles.open(directory: baseDirectory),
                                       batch: batch, time: time, threadCount: threadCount)
        if let checkpoint { try model.loadAdapter(checkpoint.adapter) }
        return model
    }

    /// The model a pass without a backward (routing, scoring) uses on the base `path`
    /// (`BaseModelSource`): a Hugging Face directory's weights stay mapped (`LayerwiseModel`); a
    /// GGUF base, whose quantized blocks are dequantized once, runs as a `LlamaModel`.
    public static func passWithoutBackward(base path: String, adapter checkpoint: Checkpoint?, topK: [Int]? = nil,
                                           batch: Int, time: Int, threadCount: Int = 1) throws -> any RoutingPass & LogitsPass {
        switch try BaseModelSource(path: path) {
        case let .huggingFace(directory):
            try load(baseDirectory: directory, adapter: checkpoint, topK: topK, batch: batch, time: time, threadCount: threadCount)
        case .gguf:
            try LlamaModel.load(base: path, adapter: checkpoint, topK: topK, batch: batch, time: time, threadCount: threadCount)
        }
    }
}
