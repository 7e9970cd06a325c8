// Bad inputs to the model core: each gives its specific error.
import Foundation
import MoLACheckpoint
import MoLAFiles
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite final class ModelBadInputTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let fixture = Fixtures.path("tiny-model")

    /// A copy of the tiny base whose config.json is `config` (or the original) and whose tensors
    /// are `tensors` (or the original file).
    private func base(config: String? = nil, tensors: [(name: String, shape: [Int], values: [Float])]? = nil) throws -> String {
        let directory = scratch.path("base")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let originalConfig = try String(contentsOfFile: "\(Self.fixture)/base/config.json", encoding: .utf8)
        try (config ?? originalConfig).write(toFile: "\(directory)/config.json", atomically: true, encoding: .utf8)
        if let tensors {
            try scratch.write(safetensorsBytes(tensors: tensors), to: "base/model.safetensors")
        } else {
            try? FileManager.default.removeItem(atPath: "\(directory)/model.safetensors")  // from an earlier call in the same test
            try FileManager.default.copyItem(atPath: "\(Self.fixture)/base/model.safetensors", toPath: "\(directory)/model.safetensors")
        }
        return directory
    }

    private func originalTensors() throws -> [(name: String, shape: [Int], values: [Float])] {
        let file = try SafetensorsFile(path: "\(Self.fixture)/base/model.safetensors")
        return try file.records.map { ($0.name, $0.shape, try $0.doubles().map { Float($0) }) }
    }

    @Test func configThatIsNotLlama() throws {
        let path = try base(config: #"{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 10}"#)
        #expect(throws: ModelError.notLlama(file: "\(path)/config.json", found: "gpt2")) {
            try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 4)
        }
        #expect(throws: ModelError.invalidConfig("no config.json: \(scratch.path("nowhere")) is not a Hugging Face model directory")) {
            try LlamaModel.load(baseDirectory: scratch.path("nowhere"), adapter: nil, batch: 1, time: 4)
        }
    }

    /// The fixture's config.json with `field` set to `value` (JSON text).
    private func config(_ field: String, _ value: String) throws -> String {
        var text = try String(contentsOfFile: "\(Self.fixture)/base/config.json", encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "\"\(field)\": [^,\n]*")
        let range = try #require(pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))?.range)
        text = (text as NSString).replacingCharacters(in: range, with: "\"\(field)\": \(value)")
        return try base(config: text)
    }

    /// rope_theta and rms_norm_eps must be positive and finite (a negative or zero one gave NaN
    /// or silently wrong logits), and every size positive, each refused by its name.
    @Test func ropeThetaAndNormEpsilonOutOfRange() throws {
        for (field, value, reason) in [("rope_theta", "-10000", "rope_theta -10000.0 is not a positive finite number"),
                                       ("rope_theta", "0", "rope_theta 0.0 is not a positive finite number"),
                                       ("rms_norm_eps", "-1e-6", "rms_norm_eps -1e-06 is not a positive finite number"),
                                       ("rms_norm_eps", "0.0", "rms_norm_eps 0.0 is not a positive finite number"),
                                       ("num_key_value_heads", "0", "num_key_value_heads 0 is not positive"),
                                       ("num_key_value_heads", "-2", "num_key_value_heads -2 is not positive")] {
            let path = try config(field, value)
            #expect(throws: ModelError.invalidConfig("\(reason) (\(path)/config.json)"), "\(field) \(value)") {
                try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 4)
            }
        }
    }

    /// Booleans where numbers are expected are refused by name (not read as 1).
    @Test func booleansAreNotNumbers() throws {
        for (field, expected) in [("vocab_size", "an integer"), ("rope_theta", "a number"), ("num_hidden_layers", "an integer")] {
            let path = try config(field, "true")
            #expect(throws: JSONDocumentError.invalidField(file: "\(path)/config.json", field: field, expected: expected)) {
                try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 4)
            }
        }
    }

    /// Sizes that need more memory than the machine has are refused before anything is allocated,
    /// saying how much they would need: by the config alone, or by the buffers for --length.
    @Test func sizesBeyondTheMachine() throws {
        let huge = try config("vocab_size", "2147483647")
        var caught: MemoryError?
        do { _ = try LlamaModel.load(baseDirectory: huge, adapter: nil, batch: 1, time: 4) } catch let error as MemoryError { caught = error }
        guard case let .exceedsMachine(what, needed, available, source) = try #require(caught) else { return }
        #expect(what == "the weights it describes" && source == "\(huge)/config.json")
        #expect((needed ?? Int.max) > available)
        let beyond = try config("vocab_size", "4294967296")
        #expect(throws: ModelError.invalidConfig("vocab_size 4294967296 is larger than 2147483647 (\(beyond)/config.json)")) {
            try LlamaModel.load(baseDirectory: beyond, adapter: nil, batch: 1, time: 4)
        }
        // The fixture's weights fit; the attention buffers of 4096 sequences of 65536 tokens do not.
        let small = ModelConfig(vocabularySize: 10, hiddenSize: 8, intermediateSize: 8, layerCount: 1, headCount: 2)
        #expect(throws: MemoryError.self) { try LlamaModel(config: small, adapter: nil, batch: 4096, time: 65_536) }
        let estimate = LlamaModel.memoryRequirement(config: small, adapter: nil, batch: 4096, time: 65_536, threadCount: 1)
        #expect(estimate.bytes >= 4096 * 2 * 65_536 * 65_536 * 4)
        // The generator's cache: 2 x 1024 layers x 65536 positions x 2^20 wide = 512 TiB.
        let wide = ModelConfig(vocabularySize: 10, hiddenSize: 1 << 20, intermediateSize: 8, layerCount: 1024, headCount: 2)
        let cache = KeyValueCacheGenerator.memoryRequirement(config: wide, length: 65_536)
        #expect(!cache.fits() && cache.bytes >= 2 * 1024 * 65_536 * (1 << 20) * 4)
    }

    @Test func missingAndMisshapenTensors() throws {
        var tensors = try originalTensors()
        tensors.removeAll { $0.name == "model.layers.1.mlp.up_proj.weight" }
        var path = try base(tensors: tensors)
        #expect(throws: ModelError.missingTensor(file: "\(path)/model.safetensors", tensor: "model.layers.1.mlp.up_proj.weight", expected: [172, 64])) {
            try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 4)
        }
        scratch.remove()
        try FileManager.default.createDirectory(at: scratch.url, withIntermediateDirectories: true)
        tensors = try originalTensors()
        let index = tensors.firstIndex { $0.name == "model.norm.weight" }!
        tensors[index] = (tensors[index].name, [32], Array(repeating: 1, count: 32))
        path = try base(tensors: tensors)
        #expect(throws: ModelError.tensorShape(file: "\(path)/model.safetensors", tensor: "model.norm.weight", expected: [64], found: [32])) {
            try LlamaModel.load(baseDirectory: path, adapter: nil, batch: 1, time: 4)
        }
    }

    @Test func adapterThatDoesNotFitTheBase() throws {
        // The bundled-style fixture adapter has hidden 32: it cannot go on a hidden-64 base.
        let other = try Checkpoint(path: Fixtures.path("small-2468-f32"))
        #expect(throws: ModelError.adapterMismatch("the adapter has 4 layers, the base 3")) {
            try LlamaModel.load(baseDirectory: "\(Self.fixture)/base", adapter: other, batch: 1, time: 4)
        }
        let narrow = try Checkpoint(path: try writeTinyCheckpoint(in: scratch, name: "narrow", experts: [2, 2, 2]))
        #expect(throws: ModelError.adapterMismatch("layer 0 q_proj maps 6 -> 6, the base's 64 -> 64")) {
            try LlamaModel.load(baseDirectory: "\(Self.fixture)/base", adapter: narrow, batch: 1, time: 4)
        }
    }

    @Test func topKLargerThanTheExpertsAndRankZero() throws {
        let checkpoint = try Checkpoint(path: "\(Self.fixture)/adapter")
        #expect(throws: ModelError.invalidAdapter("top-K 3 in layer 0, which has 2 experts")) {
            try LlamaModel.load(baseDirectory: "\(Self.fixture)/base", adapter: checkpoint, topK: [3, 3, 3], batch: 1, time: 4)
        }
        let config = ModelConfig(vocabularySize: 10, hiddenSize: 8, intermediateSize: 8, layerCount: 1, headCount: 2)
        #expect(throws: ModelError.invalidAdapter("rank 0 in layer 0; the rank must be at least 1")) {
            try LlamaModel(config: config, adapter: AdapterSpec(expertsPerLayer: [2], rank: 0), batch: 1, time: 2)
        }
        #expect(throws: ModelError.invalidAdapter("2 expert counts for a base of 1 layers")) {
            try LlamaModel(config: config, adapter: AdapterSpec(expertsPerLayer: [2, 2]), batch: 1, time: 2)
        }
        #expect(throws: ModelError.invalidConfig("num_attention_heads 3 is not a multiple of num_key_value_heads 2")) {
            try LlamaModel(config: ModelConfig(vocabularySize: 10, hiddenSize: 12, intermediateSize: 8, layerCount: 1,
                                               headCount: 3, keyValueHeadCount: 2), adapter: nil, batch: 1, time: 2)
        }
    }

    @Test func tokensOutsideTheVocabulary() throws {
        let model = try LlamaModel(config: ModelConfig(vocabularySize: 10, hiddenSize: 8, intermediateSize: 8, layerCount: 1, headCount: 2),
                                   adapter: nil, batch: 1, time: 3)
        #expect(throws: ModelError.tokenOutOfRange(token: 10, position: 2, vocabularySize: 10)) { try model.forward(tokens: [1, 2, 10]) }
        #expect(throws: ModelError.tokenOutOfRange(token: -4, position: 0, vocabularySize: 10)) { try model.forward(tokens: [-4, 2, 3]) }
        #expect(throws: ModelError.tokenOutOfRange(token: 12, position: 1, vocabularySize: 10)) {
            try model.forward(tokens: [1, 2, 3], targets: [2, 12, -1])
        }
    }

    /// One lane or two: the same losses and gradients (up to float rounding).
    @Test func resultsDoNotDependOnTheThreadCount() throws {
        let checkpoint = try Checkpoint(path: "\(Self.fixture)/adapter")
        let golden = try SafetensorsFile(path: "\(Self.fixture)/golden.safetensors")
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let targets = try golden.record(named: "targets").doubles().map { $0 < 0 ? -1 : Int($0) }
        var results: [(Double, [Float])] = []
        for threads in [1, 2] {
            let model = try LlamaModel.load(baseDirectory: "\(Self.fixture)/base", adapter: checkpoint, topK: [2, 2, 2],
                                            balanceCoefficient: 0.001, batch: 2, time: 16, threadCount: threads)
            model.zeroGradients()
            let loss = try model.forward(tokens: tokens, targets: targets).loss
            model.backward()
            results.append((loss, model.adapter.gradients.array))
        }
        assertClose(results[0].0, results[1].0, rtol: 1e-6)
        let scale = Double(results[1].1.map(abs).max()!)
        assertClose(results[0].1.map(Double.init), results[1].1.map(Double.init), rtol: 1e-4, atol: 1e-5 * scale, "gradients")
    }
}
