import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLATensor
import MoLAText

/// `mola-inspect convert BASE.gguf --to-hf DIR`: a GGUF base as a Hugging Face directory;
/// `mola-inspect convert CKPT --to mola|peft -o DIR`: an adapter in another framework's layout.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "convert", summary: "write a GGUF base as a Hugging Face directory, or an adapter in another layout",
        usage: "mola-inspect convert BASE.gguf --to-hf DIR [options]   |   mola-inspect convert CKPT --to mola|peft -o DIR [options]",
        abstract: "With --to-hf, writes the GGUF base as transformers reads it: config.json, model.safetensors (the weights dequantized, q and k rows in Hugging Face's order, F32 or --dtype f16/bf16), tokenizer.json and tokenizer_config.json (byte-level BPE vocabularies: the ids are the GGUF tokenizer's). The directory is a base for every command here too. With --to, writes an adapter in MoLA's reference layout (mola: from MoLA's or MoE-PEFT's MoLA with top-2 routing) or as plain PEFT LoRA (peft: from any adapter with one expert a projection), refusing with the reason a conversion that would change what the adapter computes.")

    static let writtenFileNames = ["config.json", "model.safetensors", "tokenizer.json", TokenizerConfig.fileName]

    @Argument(valueName: "input", help: "the GGUF file (--to-hf) or the adapter checkpoint (--to) to convert") var input: FilePath
    @Option(name: "--to-hf", valueName: "DIR", help: "the Hugging Face directory to write from a GGUF base") var directory: FilePath?
    @Option(name: "--to", help: "the adapter layout to write: mola (MoLA's reference) or peft (PEFT LoRA)") var layout: AdapterConversion.Layout?
    @Option(name: "--output", aliases: ["-o"], valueName: "DIR", help: "the adapter directory to write (with --to)") var output: FilePath?
    @Option(name: "--dtype", help: "the weights' type in model.safetensors (with --to-hf)") var dtype = WeightType.f32
    @Flag(name: "--overwrite", help: "replace the files of a model or adapter already in DIR") var overwrite: Bool

    mutating func validate() throws {
        switch (directory, layout) {
        case (nil, nil): throw UsageError("give --to-hf DIR (a GGUF base) or --to mola|peft (an adapter)")
        case (.some, .some): throw UsageError("--to-hf and --to exclude each other")
        case (.some, nil) where output != nil: throw UsageError("--output is for --to; --to-hf names its directory itself")
        case (nil, .some) where output == nil: throw UsageError("missing --output DIR (-o) for the converted adapter")
        default: break
        }
    }

    enum WeightType: String, CaseIterable, ExpressibleByArgument {
        case f32, f16, bf16

        var dtype: DType {
            switch self {
            case .f32: .float32
            case .f16: .float16
            case .bf16: .bfloat16
            }
        }
    }

    func run() throws {
        if let layout, let output {
            return try convertAdapter(to: layout, directory: output.path)
        }
        guard let directory else { throw UsageError("give --to-hf DIR (a GGUF base) or --to mola|peft (an adapter)") }
        let base = input
        let output = directory.path
        try OutputSafety.check(directory: output, option: "--to-hf", writing: Self.writtenFileNames, inputs: [.base(base.path)])
        let existing = Self.writtenFileNames.filter { FileManager.default.fileExists(atPath: URL(fileURLWithPath: output).appendingPathComponent($0).path) }
        if !existing.isEmpty && !overwrite {
            throw CommandError.failed("\(output) already holds a model (\(existing.joined(separator: ", "))); pass --overwrite to replace it")
        }
        let opened = try OpenedBase(path: base.path)
        guard case let .gguf(path) = opened.source, let file = opened.gguf else {
            throw UsageError("\(base.path) is a directory: convert reads a .gguf file")
        }
        // Everything that can fail before anything is written: the tokenizer files, then the weights.
        let vocabulary = try BaseTokenizer.vocabulary(gguf: file)
        let (tokenizerFile, tokenizerConfig) = try vocabulary.huggingFaceFiles(source: path, contextLength: opened.contextLength)
        let model = try opened.model(adapter: nil, topK: nil, batch: 1, length: 1, threads: ProcessInfo.processInfo.activeProcessorCount)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try model.saveBase(to: output, dtype: dtype.dtype, contextLength: opened.contextLength)
        try AtomicFileWriter.write(Data((tokenizerFile.rendered() + "\n").utf8),
                                   to: URL(fileURLWithPath: output).appendingPathComponent("tokenizer.json").path)
        try tokenizerConfig.write(directory: output)
        StandardStream.error.writeDiagnostic("wrote \(TerminalText.escaped(output))\n")
    }
}
