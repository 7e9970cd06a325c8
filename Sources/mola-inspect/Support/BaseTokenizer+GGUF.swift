import MoLACheckpoint
import MoLAText

extension BaseTokenizer {
    /// The tokenizer a GGUF file carries in its `tokenizer.ggml.*` metadata.
    init(gguf file: GGUFFile) throws {
        let metadata = try GGUFTokenizerMetadata(file.metadata)
        _ = metadata
        throw CommandError.failed("GGUF tokenizers are not bridged yet (\(file.path))")
    }
}
