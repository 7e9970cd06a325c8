import MoLACheckpoint

extension ModelConfig {
    /// The configuration a llama.cpp GGUF file's metadata describes.
    ///
    /// ```
    /// general.architecture                    must be "llama"
    /// llama.block_count                       layers
    /// llama.embedding_length                  hidden size C
    /// llama.feed_forward_length               MLP width F
    /// llama.attention.head_count              heads
    /// llama.attention.head_count_kv           key/value heads (default: heads)
    /// llama.rope.freq_base                    rotary base (default 10000)
    /// llama.attention.layer_norm_rms_epsilon  RMSNorm epsilon
    /// token_embd.weight [V, C]                the vocabulary size
    /// output.weight                           absent: the head is tied to the embedding
    /// ```
    /// Refused: rotary scaling, partial rotary (`llama.rope.dimension_count` other than the head
    /// size) and mixtures of experts (`llama.expert_count` above 0), which the model does not run.
    ///
    /// - Throws: `ModelError.unsupportedArchitecture` naming the architecture, `.invalidConfig`,
    ///   `GGUFError` for a missing key or one of the wrong type (naming the key), `MemoryError`.
    public init(gguf file: GGUFFile) throws {
        let metadata = file.metadata
        let architecture = try metadata.string("general.architecture")
        guard architecture == "llama" else { throw ModelError.unsupportedArchitecture(file: file.path, architecture: architecture) }
        func size(_ key: String) throws -> Int {
            let value = try metadata.integer(key)
            guard value > 0, value <= Self.largestSize else {
                throw ModelError.invalidConfig("\(key) \(value) is not a positive size of at most \(Self.largestSize) (\(file.path))")
            }
            return value
        }
        let embedding = try file.tensor(named: GGUFBaseTensorName.embedding)
        guard embedding.shape.count == 2 else {
            throw ModelError.tensorShape(file: file.path, tensor: embedding.name, expected: [-1, try size("llama.embedding_length")],
                                         found: embedding.shape)
        }
        let headCount = try size("llama.attention.head_count")
        self.init(vocabularySize: embedding.shape[0], hiddenSize: try size("llama.embedding_length"),
                  intermediateSize: try size("llama.feed_forward_length"), layerCount: try size("llama.block_count"),
                  headCount: headCount,
                  keyValueHeadCount: try metadata.optional("llama.attention.head_count_kv", size) ?? headCount,
                  ropeTheta: try metadata.optional("llama.rope.freq_base", metadata.float) ?? 10_000,
                  rmsNormEpsilon: try metadata.float("llama.attention.layer_norm_rms_epsilon"),
                  tiedEmbeddings: !file.tensors.contains { $0.name == GGUFBaseTensorName.head })
        do {
            try validate()
        } catch let ModelError.invalidConfig(reason) {
            throw ModelError.invalidConfig("\(reason) (\(file.path))")
        }
        if let scaling = try metadata.optional("llama.rope.scaling.type", metadata.string), scaling != "none" {
            throw ModelError.invalidConfig("llama.rope.scaling.type \(scaling) is not supported (\(file.path))")
        }
        if let rotary = try metadata.optional("llama.rope.dimension_count", metadata.integer), rotary != headDimension {
            throw ModelError.invalidConfig("llama.rope.dimension_count \(rotary) differs from the head size \(headDimension): partial rotary embeddings are not supported (\(file.path))")
        }
        if let experts = try metadata.optional("llama.expert_count", metadata.integer), experts > 0 {
            throw ModelError.invalidConfig("llama.expert_count \(experts): mixture-of-experts bases are not supported (\(file.path))")
        }
        try weightMemory.require(for: "the weights it describes", source: file.path)
    }

    /// Opens `path` and reads its configuration.
    public init(gguf path: String) throws {
        try self.init(gguf: GGUFFile(path: path))
    }
}
