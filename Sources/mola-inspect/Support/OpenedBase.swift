import Foundation
import MoLACheckpoint
import MoLAFiles
import MoLAModel
import MoLAText

/// The base model `--base` names (`BaseModelSource`: a Hugging Face LLaMA directory or a GGUF
/// file), opened once for what a command needs from it: its configuration, its context, its
/// tokenizer and the model itself.
struct OpenedBase {
    let path: String
    let source: BaseModelSource
    let config: ModelConfig
    /// The most positions the base was trained for, when its files say
    /// (`max_position_embeddings`, `llama.context_length`).
    let contextLength: Int?
    /// The GGUF file, mapped and its header read once, when the base is one.
    let gguf: GGUFFile?

    /// - Throws: `ModelError` for a base that is not LLaMA, and the readers' errors.
    init(path: String) throws {
        self.path = path
        source = try BaseModelSource(path: path)
        switch source {
        case let .huggingFace(directory):
            let configPath = URL(fileURLWithPath: directory).appendingPathComponent("config.json").path
            guard FileManager.default.fileExists(atPath: configPath) else {
                throw ModelError.invalidConfig("no config.json: \(directory) is not a Hugging Face model directory")
            }
            config = try ModelConfig(huggingFaceConfig: configPath)
            contextLength = try JSONDocument.read(HuggingFaceConfig.self, from: configPath).maxPositionEmbeddings
            gguf = nil
        case let .gguf(file):
            let gguf = try GGUFFile(path: file)
            config = try ModelConfig(gguf: gguf)
            contextLength = try gguf.metadata.optional("llama.context_length", gguf.metadata.integer)
            self.gguf = gguf
        }
    }

    /// The base's tokenizer: its directory's files, or the GGUF's `tokenizer.ggml.*` metadata.
    func tokenizer() throws -> BaseTokenizer {
        if let gguf { return try BaseTokenizer(gguf: gguf) }
        guard case let .huggingFace(directory) = source else { preconditionFailure("a GGUF base keeps its file") }
        return try BaseTokenizer(baseDirectory: directory)
    }

    /// The model with `adapter` on it, for `batch` sequences of `length` tokens.
    func model(adapter: Checkpoint?, topK: [Int]?, batch: Int, length: Int, threads: Int) throws -> LlamaModel {
        try LlamaModel.load(base: path, adapter: adapter, topK: topK, batch: batch, time: length, threadCount: threads)
    }

    /// The model with new adapters of `spec` (to be initialised or loaded), for training, or for
    /// generation too when `generating` (a GGUF base's quantized matrices are then kept as well).
    func model(adapter spec: AdapterSpec, batch: Int, length: Int, threads: Int, seed: UInt64, generating: Bool = false) throws -> LlamaModel {
        let model = try LlamaModel(config: config, adapter: spec, batch: batch, time: length, threadCount: threads, seed: seed)
        if let gguf {
            try model.loadBase(gguf: gguf, keepingQuantized: generating)
        } else if case let .huggingFace(directory) = source {
            try model.loadBase(directory: directory)
        }
        return model
    }

    /// A second model with new adapters of `spec` that reads `other`'s base weights (and a GGUF
    /// base's quantized matrices, when `other` kept them) instead of loading its own copy.
    func model(sharingBaseOf other: LlamaModel, adapter spec: AdapterSpec, batch: Int, length: Int, threads: Int,
               seed: UInt64) throws -> LlamaModel {
        try LlamaModel(config: config, adapter: spec, batch: batch, time: length, threadCount: threads, seed: seed, sharingBaseOf: other)
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
