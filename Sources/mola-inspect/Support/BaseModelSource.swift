import Foundation
import MoLACheckpoint
import MoLAFiles
import MoLAModel
import MoLAText

/// The base model `--base` names, opened once for what a command needs from it: its
/// configuration, its tokenizer, its chat template and the model itself.
///
/// A Hugging Face LLaMA directory (`config.json`, `model.safetensors`, `tokenizer.json`,
/// `tokenizer_config.json`).
struct BaseModelSource {
    let path: String
    let config: ModelConfig
    /// The most positions the base was trained for, when its files say.
    let contextLength: Int?

    /// - Throws: `ModelError` for a base that is not LLaMA, and the readers' errors.
    init(path: String) throws {
        self.path = path
        let configPath = URL(fileURLWithPath: path).appendingPathComponent("config.json").path
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ModelError.invalidConfig("no config.json: \(path) is not a Hugging Face model directory")
        }
        config = try ModelConfig(huggingFaceConfig: configPath)
        contextLength = try JSONDocument.read(HuggingFaceConfig.self, from: configPath).maxPositionEmbeddings
    }

    /// The base's tokenizer.
    func tokenizer() throws -> BaseTokenizer { try BaseTokenizer(baseDirectory: path) }

    /// The model with `adapter` on it, for `batch` sequences of `length` tokens.
    func model(adapter: Checkpoint?, topK: [Int]?, batch: Int, length: Int, threads: Int) throws -> LlamaModel {
        try LlamaModel.load(baseDirectory: path, adapter: adapter, topK: topK, batch: batch, time: length, threadCount: threads)
    }

    /// The model with new adapters of `spec` (to be initialised or loaded), for training.
    func model(adapter spec: AdapterSpec, batch: Int, length: Int, threads: Int, seed: UInt64) throws -> LlamaModel {
        let model = try LlamaModel(config: config, adapter: spec, batch: batch, time: length, threadCount: threads, seed: seed)
        try model.loadBase(safetensors: URL(fileURLWithPath: path).appendingPathComponent("model.safetensors").path)
        return model
    }

    /// Refuses `tokens` positions beyond the base's context.
    ///
    /// - Throws: `CommandError.failed` naming what is too long and the context.
    func checkFits(_ tokens: Int, what: String) throws {
        if let contextLength, tokens > contextLength {
            throw CommandError.failed("\(what) is \(tokens) tokens, longer than the base's context of \(contextLength) (\(path))")
        }
    }
}
