import Foundation
import MoLACheckpoint
import MoLAModel
import MoLATensor

/// `mola-benchmark --gguf FILE --prefill N --generate M`: what `score` and `generate` do on a GGUF
/// base, timed apart from loading (benchmarks/smollm2_llamacpp.py runs llama.cpp beside it).
///
/// ```
/// prefill_tokens_per_second    TokenScorer.score over N tokens: one forward, the log-softmax of every position
/// prefill_gflops               the prefill's matrix arithmetic (below) over its time
/// products_alone_gflops        the same products (every projection and the head, [N, Cin] x [Cout, Cin]^T)
///                              timed alone through BLAS: the machine's Float32 rate at the prefill's shapes
/// generate_tokens_per_second   M greedy tokens with the key/value cache after a 4-token prompt
///
/// prefill flops = 2 N (sum over layers and projections of Cin Cout + V C)  +  2 L N^2 C (causal attention)
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
        _ = try TokenScorer.score(Array(tokens.prefix(16)), model: model, top: 0, threads: threads)  // warm-up
        start = Date()
        _ = try TokenScorer.score(tokens, model: model, top: 0, threads: threads)
        let prefillSeconds = Date().timeIntervalSince(start)
        let generator = try KeyValueCacheGenerator(model: model)
        var sampler = TokenSampler()
        _ = try generator.generate(prompt: Array(tokens.prefix(4)), maxNewTokens: 4, stop: [], sampler: &sampler)  // warm-up
        start = Date()
        let generated = try generator.generate(prompt: Array(tokens.prefix(4)), maxNewTokens: generate, stop: [], sampler: &sampler)
        let generateSeconds = Date().timeIntervalSince(start)
        let (productFlops, productSeconds) = productsAlone(model.config, rows: prefill)
        let config = model.config
        let attentionFlops = 2 * Double(config.layerCount) * Double(prefill) * Double(prefill) * Double(config.hiddenSize)
        return "{\"threads\": \(threads), \"load_seconds\": \(load), \"prefill_tokens\": \(prefill), "
            + "\"prefill_tokens_per_second\": \(Double(prefill) / prefillSeconds), "
            + "\"prefill_gflops\": \((productFlops + attentionFlops) / prefillSeconds / 1e9), "
            + "\"products_alone_gflops\": \(productFlops / productSeconds / 1e9), \"generated_tokens\": \(generated.count), "
            + "\"generate_tokens_per_second\": \(Double(generated.count) / generateSeconds)}"
    }

    /// The prefill's weight products alone, on random values: their flops and best time of 3.
    static func productsAlone(_ config: ModelConfig, rows: Int) -> (flops: Double, seconds: Double) {
        var shapes = ProjectionKind.allCases.map { config.widths($0) }.flatMap { Array(repeating: $0, count: config.layerCount) }
        shapes.append((config.hiddenSize, config.vocabularySize))
        let widest = shapes.map { max($0.input, $0.output) }.max()!
        var random = SplitMix(seed: 1)
        let x = (0..<(rows * widest)).map { _ in random.nextUnit() - 0.5 }
        let weights = (0..<(config.vocabularySize * config.hiddenSize)).map { _ in random.nextUnit() - 0.5 }
        var out = [Float](repeating: 0, count: rows * config.vocabularySize)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            for (input, output) in shapes {
                LinearAlgebra.multiply(x, weights, transposeB: true, into: &out, m: rows, n: output, k: input)
            }
            best = min(best, Date().timeIntervalSince(start))
        }
        let flops = shapes.reduce(0.0) { $0 + 2 * Double(rows) * Double($1.input) * Double($1.output) }
        return (flops, best)
    }
}
