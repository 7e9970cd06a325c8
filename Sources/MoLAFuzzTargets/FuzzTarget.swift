/// One parser of untrusted files, as a fuzz target: bytes in, the parser run over them, any
/// thrown error accepted. A crash, a trap, a hang or a memory blow-up is a finding.
///
/// The same entry serves the libFuzzer driver (`mola-fuzz`, built by `notebooks-cli/fuzz.sh`)
/// and the test suite, which replays every committed regression input under
/// `Tests/Fixtures/fuzz-regressions/<target>/` through it and checks the error it throws.
///
/// Parsers that read a path are given the bytes through a `FuzzScratch` file (in `/dev/shm`
/// where there is one); the pickle machine reads memory directly.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `SafetensorsFile`: header, coverage rules, every tensor converted, the adapter inferred.
    case safetensors
    /// `ZipArchive`: the central directory and every record's local header.
    case zip
    /// `PickleMachine` over a `data.pkl`.
    case pickle
    /// `openTensorFile` on a `.bin`: ZIP, pickle, views; every tensor converted, the adapter inferred.
    case torchArchive = "torch-archive"
    /// `GGUFFile`: header, metadata, tensor infos; every tensor dequantized, the tokenizer
    /// metadata and the model configuration read as a `--base FILE.gguf` reads them.
    case gguf
    /// `config.json` of a base (`ModelConfig(huggingFaceConfig:)`).
    case modelConfig = "model-config"
    /// `adapter_config.json` beside a real adapter file (`Checkpoint`, top-K resolved).
    case adapterConfig = "adapter-config"
    /// `adapter_config.json` beside another framework's adapter (MoE-PEFT MixLoRA, HydraLoRA or
    /// PEFT LoRA, by the input's length): framework detection, patterns, scales, top-K.
    case frameworkConfig = "framework-config"
    /// `mola_config.json` beside a real adapter and its config (`Checkpoint`, top-K resolved).
    case sidecar
    /// `trainer_state.json` beside a real moments file (`TrainingState.load`).
    case trainerState = "trainer-state"
    /// `tokenizer_config.json` beside a real `tokenizer.json` (`BaseTokenizer`).
    case tokenizerConfig = "tokenizer-config"
    /// The `redundancy --json` report `plot` reads (`RedundancyDocument`).
    case redundancyDocument = "redundancy-document"
    /// The `routing --json` report `plot` reads (`RoutingDocument`).
    case routingDocument = "routing-document"
    /// The experiment reports `plot accuracy` and `plot continual` read (`EvaluationReport`, `ContinualReport`).
    case experimentReport = "experiment-report"
    /// `tokenizer.json` (`SentencePieceBPETokenizer`), then texts encoded and ids decoded.
    case tokenizer
    /// A byte-level `tokenizer.json` (`ByteLevelBPETokenizer`), then texts encoded and ids decoded.
    case byteLevelTokenizer = "byte-level-tokenizer"
    /// GGUF tokenizer metadata as `TokenizerVocabulary` JSON (`BaseTokenizer(vocabulary:)`), then
    /// texts encoded and ids decoded.
    case tokenizerVocabulary = "tokenizer-vocabulary"
    /// A data file read as JSONL, JSON, plain text and pre-tokenised ids (`TextDataset`).
    case dataset
    /// `model.safetensors.index.json` beside two real shards (`ShardedTensorFile`), every tensor read.
    case shardIndex = "shard-index"
    /// A routing trace's `rank-00000.json` beside the fixture trace's shard (`RoutingTrace`), its statistics computed.
    case routingTrace = "routing-trace"

    /// Runs the parser over `bytes`.
    ///
    /// - Throws: whatever the parser throws for a malformed file (that is the expected outcome).
    public func run(_ bytes: UnsafeRawBufferPointer) throws {
        switch self {
        case .safetensors: try Self.safetensors(bytes)
        case .zip: try Self.zip(bytes)
        case .pickle: try Self.pickle(bytes)
        case .torchArchive: try Self.torchArchive(bytes)
        case .gguf: try Self.gguf(bytes)
        case .modelConfig: try Self.modelConfig(bytes)
        case .adapterConfig: try Self.adapterConfig(bytes)
        case .frameworkConfig: try Self.frameworkConfig(bytes)
        case .sidecar: try Self.sidecar(bytes)
        case .trainerState: try Self.trainerState(bytes)
        case .tokenizerConfig: try Self.tokenizerConfig(bytes)
        case .redundancyDocument: try Self.redundancyDocument(bytes)
        case .routingDocument: try Self.routingDocument(bytes)
        case .experimentReport: try Self.experimentReport(bytes)
        case .tokenizer: try Self.tokenizer(bytes)
        case .byteLevelTokenizer: try Self.byteLevelTokenizer(bytes)
        case .tokenizerVocabulary: try Self.tokenizerVocabulary(bytes)
        case .dataset: try Self.dataset(bytes)
        case .shardIndex: try Self.shardIndex(bytes)
        case .routingTrace: try Self.routingTrace(bytes)
        }
    }

    /// Runs the parser over `bytes`.
    public func run(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try run($0) }
    }
}

/// The name of an error's type and case, e.g. `PickleError.nestingTooDeep`: what a regression
/// test expects, independent of the paths and offsets in the associated values.
public func errorCaseName(_ error: any Error) -> String {
    let type = String(describing: Swift.type(of: error))
    // An enum case with associated values reflects as one child labelled with the case's name
    // (every error of the readers has them: the file, the offset).
    if let label = Mirror(reflecting: error).children.first?.label, Mirror(reflecting: error).displayStyle == .enum {
        return "\(type).\(label)"
    }
    return type
}
