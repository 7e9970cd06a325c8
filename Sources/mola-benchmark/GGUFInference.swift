import Foundation
import MoLAModel

/// `mola-benchmark --gguf FILE --prefill N --generate M`: what `score` and `generate` do on a GGUF
/// base, timed apart from loading (benchmarks/smollm2_llamacpp.py runs llama.cpp beside it).
///
/// ```
/// prefill_tokens_per_second    TokenScorer.score over N tokens: one forward, the log-softmax of every position
/// generate_tokens_per_second   M greedy tokens with the key/value cache after a 4-token prompt
/// ```
/// The tokens are fixed pseudo-random ids (the cost does not depend on them without an adapter).
enum GGUFInferenceBenchmark {
    static func run(path: String, threads: Int, prefill: Int, generate: Int) throws -> String {
        var start = Date()
        let length = max(prefill, generate + 4)
        let model = try LlamaModel.load(base: path, adapter: nil, batch: 1, time: length, threadCount: threads)
        let load = Date().timeIntervalSince(start)
        let vocabulary = model.config.vocabularySize
        let tokens = (0..<prefill).map { 3 + ($0 * 7919) % (vocabulary - 3) }
        _ = try TokenScorer.score(Array(tokens.prefix(16)), model: model, top: 0)  // warm-up
        start = Date()
        _ = try TokenScorer.score(tokens, model: model, top: 0)
        let prefillSeconds = Date().timeIntervalSince(start)
        let generator = try KeyValueCacheGenerator(model: model)
        var sampler = TokenSampler()
        _ = try generator.generate(prompt: Array(tokens.prefix(4)), maxNewTokens: 4, stop: [], sampler: &sampler)  // warm-up
        start = Date()
        let generated = try generator.generate(prompt: Array(tokens.prefix(4)), maxNewTokens: generate, stop: [], sampler: &sampler)
        let generateSeconds = Date().timeIntervalSince(start)
        return "{\"threads\": \(threads), \"load_seconds\": \(load), \"prefill_tokens\": \(prefill), "
            + "\"prefill_tokens_per_second\": \(Double(prefill) / prefillSeconds), \"generated_tokens\": \(generated.count), "
            + "\"generate_tokens_per_second\": \(Double(generated.count) / generateSeconds)}"
    }
}
