import MoLACommandLine

/// The base, the data and how to run them: `routing` and the `plot routing` figures alike.
/// `--base` and the data are checked when the routing runs (a figure may read saved JSON instead).
struct RoutingRunOptions: ParsableArguments {
    @Option(name: "--base", valueName: "BASE", help: "the base the adapter was trained on, a GGUF file or a Hugging Face LLaMA directory (required to run it)") var base: FilePath?
    @Option(name: "--data", valueName: "FILE", help: "text (one example a line), or JSON/JSONL in the reference layout") var data: FilePath?
    @Option(name: "--tokens", valueName: "FILE", help: "pre-tokenised ids instead: a JSON array of arrays of integers") var tokens: FilePath?
    @OptionGroup var topK: TopKOptions
    @Flag(name: "--include-padding", help: "count padding tokens too, as the reference's balance loss does") var includePadding: Bool
    @Option(name: "--max-tokens", help: "stop after N counted tokens", in: 1...) var maxTokens: Int?
    @Option(name: "--length", help: "window length: longer sequences are cut into windows", in: 1...65_536) var length = 256
    @Option(name: "--batch", help: "windows per forward pass", in: 1...4096) var batch = 8
    @Option(name: "--trace", valueName: "DIR", help: "a routing trace recorded in PyTorch by python/mola_trace.py instead of a base and data (every rank's shard merged)") var trace: FilePath?

    /// What a routing run over `adapter` reads, for `OutputSafety`.
    func inputs(adapter: String) -> [CommandInput] {
        [.checkpoint(adapter), .base(base?.path), .file(data?.path), .file(tokens?.path), .file(trace?.path)]
    }
}
