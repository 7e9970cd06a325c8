import Foundation
import MoLACheckpoint
import MoLAModel

/// `mola-benchmark --gguf FILE`: times reading a GGUF base, as `--base FILE` reads it.
///
/// ```
/// open_seconds          GGUFFile(path:): header, metadata, tensor infos checked (mapped, no data read)
/// dequantize_seconds    every tensor converted to Float (rows over `threads` threads)
/// allocate_seconds      LlamaModel(config:...) alone: the parameter, gradient and scratch buffers
/// load_seconds          LlamaModel.load(base:): configuration, allocation, weights, q/k un-permuted
/// ```
/// With `--dump PATH`, also writes a few dequantized tensors (as stored: q and k not un-permuted)
/// to a safetensors file, for a comparison with the `gguf` package's `dequantize`.
enum GGUFLoadBenchmark {
    /// The tensors `--dump` writes (those of SmolLM2's file: each of its three types).
    static let dumped = ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_down.weight",
                         "blk.29.ffn_gate.weight", "blk.0.attn_norm.weight", "output_norm.weight"]

    /// Runs the timings; returns the JSON line to print.
    static func run(path: String, threads: Int, dump: String?) throws -> String {
        var start = Date()
        let file = try GGUFFile(path: path)
        let open = Date().timeIntervalSince(start)
        start = Date()
        var values = 0
        for tensor in file.tensors where tensor.type.isDequantizable {
            values += try file.floats(of: tensor, threadCount: threads).count
        }
        let dequantize = Date().timeIntervalSince(start)
        start = Date()
        _ = try LlamaModel(config: ModelConfig(gguf: file), adapter: nil, batch: 1, time: 8, threadCount: threads)
        let allocate = Date().timeIntervalSince(start)
        start = Date()
        let model = try LlamaModel.load(base: path, adapter: nil, batch: 1, time: 8, threadCount: threads)
        let load = Date().timeIntervalSince(start)
        if let dump {
            let entries = try dumped.filter { name in file.tensors.contains { $0.name == name } }.map { name in
                let tensor = try file.tensor(named: name)
                return SafetensorsWriter.Entry(name: name, shape: tensor.shape, values: try file.floats(of: tensor, threadCount: threads))
            }
            try SafetensorsWriter.write(entries, to: dump)
        }
        let tokenizer = try GGUFTokenizerMetadata(file.metadata)
        let types = Dictionary(grouping: file.tensors, by: \.type.name).mapValues(\.count)
            .sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        return "{\"file\": \"\(path)\", \"threads\": \(threads), \"tensors\": \(file.tensors.count), \"types\": {\(types)}, "
            + "\"values\": \(values), \"open_seconds\": \(open), \"dequantize_seconds\": \(dequantize), "
            + "\"allocate_seconds\": \(allocate), \"load_seconds\": \(load), \"layers\": \(model.config.layerCount), \"vocabulary\": \(model.config.vocabularySize), "
            + "\"config\": \"\(model.config)\", \"tokenizer\": {\"model\": \"\(tokenizer.model)\", \"pre\": \"\(tokenizer.preTokenizer ?? "")\", "
            + "\"tokens\": \(tokenizer.tokens.count), \"merges\": \(tokenizer.merges?.count ?? 0), \"bos\": \(tokenizer.beginningOfSequenceId ?? -1), "
            + "\"eos\": \(tokenizer.endOfSequenceId ?? -1), \"add_bos\": \(tokenizer.addsBeginningOfSequence ?? false)}}"
    }
}
