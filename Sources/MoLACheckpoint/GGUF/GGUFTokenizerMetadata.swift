/// The tokenizer a GGUF file carries in its metadata (`tokenizer.ggml.*`, as llama.cpp's
/// `llama-vocab.cpp` reads it), gathered for a tokenizer to be built from: the metadata's reader,
/// not a tokenizer.
///
/// ```
/// tokenizer.ggml.model             str        "gpt2" (byte-level BPE), "llama" (SentencePiece), ...
/// tokenizer.ggml.pre               str        pre-tokenizer: "smollm", "llama-bpe", "qwen2", "default", ...
/// tokenizer.ggml.tokens            arr[str]   the vocabulary, by id
/// tokenizer.ggml.token_type        arr[i32]   1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
/// tokenizer.ggml.merges            arr[str]   BPE merges "a b", by rank
/// tokenizer.ggml.scores            arr[f32]   SentencePiece scores, by id
/// tokenizer.ggml.{bos,eos,unknown,padding}_token_id   u32
/// tokenizer.ggml.add_{bos,eos}_token                  bool
/// tokenizer.chat_template          str        Jinja template
/// ```
public struct GGUFTokenizerMetadata: Sendable, Equatable {
    public var model: String
    public var preTokenizer: String?
    public var tokens: [String]
    public var tokenTypes: [Int32]?
    public var merges: [String]?
    public var scores: [Float]?
    public var beginningOfSequenceId: Int?
    public var endOfSequenceId: Int?
    public var unknownId: Int?
    public var paddingId: Int?
    public var addsBeginningOfSequence: Bool?
    public var addsEndOfSequence: Bool?
    public var chatTemplate: String?

    /// Reads the keys above; `model` and `tokens` are required, the rest optional.
    ///
    /// - Throws: `GGUFError.missingKey` or `.wrongValueType` naming the key.
    public init(_ metadata: GGUFMetadata) throws {
        model = try metadata.string("tokenizer.ggml.model")
        preTokenizer = try metadata.optional("tokenizer.ggml.pre", metadata.string)
        tokens = try metadata.strings("tokenizer.ggml.tokens")
        tokenTypes = try metadata.optional("tokenizer.ggml.token_type", metadata.int32s)
        merges = try metadata.optional("tokenizer.ggml.merges", metadata.strings)
        scores = try metadata.optional("tokenizer.ggml.scores", metadata.float32s)
        beginningOfSequenceId = try metadata.optional("tokenizer.ggml.bos_token_id", metadata.integer)
        endOfSequenceId = try metadata.optional("tokenizer.ggml.eos_token_id", metadata.integer)
        unknownId = try metadata.optional("tokenizer.ggml.unknown_token_id", metadata.integer)
        paddingId = try metadata.optional("tokenizer.ggml.padding_token_id", metadata.integer)
        addsBeginningOfSequence = try metadata.optional("tokenizer.ggml.add_bos_token", metadata.bool)
        addsEndOfSequence = try metadata.optional("tokenizer.ggml.add_eos_token", metadata.bool)
        chatTemplate = try metadata.optional("tokenizer.chat_template", metadata.string)
    }
}
