// The model-core benchmark: one MoLA fine-tuning step (forward, loss, backward, AdamW on the
// adapter) and the routing forward of the benchmark model (4 layers, hidden 256, 4 heads,
// MLP 688, vocab 512, experts 2 4 6 8, top-2, r 8, alpha 16, all seven projections, micro batch
// 8 x 128), as ../shared/bench/torch_mola_speed.py measures PyTorch. Prints one JSON line.
// It also times the routing analysis (`RoutingRun`: forward without the LM head, statistics
// gathered). `--shape smollm2` runs SmolLM2-135M's shape instead (30 layers, hidden 576, 9 heads
// with 3 key/value heads, MLP 1536, vocab 49152, tied embeddings, rope base 1e5, experts 2468
// over contiguous groups), as `SHAPE=smollm2` does for PyTorch. Besides tokens/s it reports the
// CPU seconds (all threads) of a training step and of a routing forward, which a machine shared
// with other work does not inflate as it does the wall clock.
// Usage: mola-benchmark [--threads N] [--steps N] [--shape benchmark|smollm2] [--routing-only]
// With --gguf FILE it times reading a GGUF base instead (GGUFLoadBenchmark).
import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAModel
import MoLARouting
import MoLATensor
import MoLATrain

/// The benchmark's options, parsed like mola-inspect's.
struct BenchmarkOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "mola-benchmark", summary: "the model-core benchmark",
        usage: "mola-benchmark [--threads N] [--steps N] [--shape benchmark|smollm2] [--routing-only] | --gguf FILE [--dump PATH | --prefill N [--generate M]] | --sgemm N",
        abstract: "Times one MoLA fine-tuning step, the routing forward and the routing analysis of the benchmark model; prints one JSON line.")

    @Option(name: "--threads", help: "worker threads", in: 1...1024) var threads = 2
    @Option(name: "--steps", help: "timed steps of each kind (after 3 warm-up steps)", in: 1...1_000_000) var steps = 10
    @Option(name: "--shape", help: "the model: the benchmark model, or SmolLM2-135M's shape with experts 2468") var shape = BenchmarkShape.benchmark
    @Flag(name: "--routing-only", help: "time the routing alone (for profiling the routing analysis)") var routingOnly: Bool
    @Option(name: "--gguf", valueName: "FILE", help: "time opening, dequantizing and loading this GGUF base instead") var gguf: FilePath?
    @Option(name: "--prefill", help: "with --gguf: time score's forward over N tokens and generation instead of loading", in: 1...65_536)
    var prefill: Int?
    @Option(name: "--generate", help: "with --prefill: greedy tokens to generate", in: 1...65_536) var generate = 128
    @Option(name: "--dump", valueName: "PATH", help: "with --gguf: write a few dequantized tensors to this safetensors file") var dump: FilePath?
    @Option(name: "--sgemm", valueName: "N", help: "time the Float32 products of a LLaMA-2-7B layer over N rows instead (SgemmRate)", in: 1...65_536)
    var sgemm: Int?
}

/// The model the benchmark times, as ../shared/bench/torch_mola_speed.py's SHAPE names it.
enum BenchmarkShape: String, CaseIterable, ExpressibleByArgument {
    case benchmark, smollm2

    var config: ModelConfig {
        switch self {
        case .benchmark: ModelConfig(vocabularySize: 512, hiddenSize: 256, intermediateSize: 688, layerCount: 4, headCount: 4)
        case .smollm2: ModelConfig(vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30, headCount: 9,
                                   keyValueHeadCount: 3, ropeTheta: 100_000, rmsNormEpsilon: 1e-5, tiedEmbeddings: true)
        }
    }

    var experts: [Int] {
        switch self {
        case .benchmark: [2, 4, 6, 8]
        case .smollm2: Allocation(digits: [2, 4, 6, 8], layerCount: 30).expertsPerLayer
        }
    }
}

let options = BenchmarkOptions.parseOrExit(Array(CommandLine.arguments.dropFirst()))
let (threads, steps, routingOnly) = (options.threads, options.steps, options.routingOnly)
if let rows = options.sgemm { printResult(SgemmRate.run(rows: rows, threads: threads)) }
if let gguf = options.gguf, let prefill = options.prefill {
    printResult(try GGUFInferenceBenchmark.run(path: gguf.path, threads: threads, prefill: prefill, generate: options.generate))
}
if let gguf = options.gguf {
    printResult(try GGUFLoadBenchmark.run(path: gguf.path, threads: threads, dump: options.dump?.path))
}
let (batch, time) = (8, 128)
let config = options.shape.config
let spec = AdapterSpec(expertsPerLayer: options.shape.experts, rank: 8, alpha: 16, topK: 2)
let model = try LlamaModel(config: config, adapter: spec, batch: batch, time: time, threadCount: threads)
model.initialiseBase(seed: 0)
model.initialiseAdapter(seed: 1)
// Non-zero B, as the PyTorch benchmark has (randn * 0.01), so every product is real work.
var random = SplitMix(seed: 2)
for name in model.adapter.names where name.hasSuffix("lora_B") {
    let view = model.adapter.view(name)
    for i in 0..<view.count { model.adapter.values(name)[i] = random.uniform(0.017) }
}
var generator = SplitMix(seed: 3)
let tokens = (0..<(batch * time)).map { _ in 3 + Int(generator.next() % UInt64(config.vocabularySize - 3)) }
let targets = (0..<(batch * time)).map { $0 % time == time - 1 ? -1 : tokens[$0 + 1] }
let optimizer = AdamW(parameters: model.adapter)

func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

/// CPU seconds of the whole process (every thread): on a machine shared with other work the
/// wall clock also counts waiting for a core, this only the work done.
func processorSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

@MainActor func step() throws {
    model.zeroGradients()
    try model.forward(tokens: tokens, targets: targets, training: true)
    model.backward()
    optimizer.update()
}
var start = Date()
var processorStart = processorSeconds()
var training = 0.0, trainingProcessor = 0.0
if !routingOnly {
    for _ in 0..<3 { try step() }
    start = Date()
    processorStart = processorSeconds()
    for _ in 0..<steps { try step() }
    training = Double(steps * batch * time) / Date().timeIntervalSince(start)
    trainingProcessor = (processorSeconds() - processorStart) / Double(steps)
}

let tap = RoutingTap()
model.routingTap = tap
var selections = 0
for _ in 0..<3 { try model.forward(tokens: tokens) }
start = Date()
processorStart = processorSeconds()
for _ in 0..<steps {
    try model.forward(tokens: tokens)
    selections += tap.records.reduce(0) { $0 + $1.chosen.count }
}
let routing = Double(steps * batch * time) / Date().timeIntervalSince(start)
let routingProcessor = (processorSeconds() - processorStart) / Double(steps)

// What `mola-inspect routing` does: forward without the LM head, every statistic gathered.
model.routingTap = nil
let windows = (0..<batch).map { Array(tokens[($0 * time)..<(($0 + 1) * time)]) }
_ = try RoutingRun.run(model: model, sequences: windows, padding: 0, includePadding: false, maxTokens: nil)
start = Date()
var counted = 0
for _ in 0..<steps {
    counted += try RoutingRun.run(model: model, sequences: windows, padding: 0, includePadding: false, maxTokens: nil).tokens
}
let statistics = Double(counted) / Date().timeIntervalSince(start)
printResult("{\"shape\": \"\(options.shape.rawValue)\", \"threads\": \(threads), \"blas_kernel\": \"\(LinearAlgebra.blasKernelName)\", \"train_tokens_per_second\": \(Int(training)), \"routing_tokens_per_second\": \(Int(routing)), \"routing_statistics_tokens_per_second\": \(Int(statistics)), \"selections\": \(selections), \"train_cpu_seconds_per_step\": \(rounded(trainingProcessor)), \"routing_cpu_seconds_per_forward\": \(rounded(routingProcessor))}")
