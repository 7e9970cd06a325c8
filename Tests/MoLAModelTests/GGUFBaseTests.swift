// A GGUF file as a base: Tests/Fixtures/generate_gguf_golden.py writes one tiny random LLaMA
// (2 layers, hidden 32, 4 heads with 2 key/value heads, MLP 64, the 559-token vocabulary of bpe-tokenizers/smollm) three times: as a
// Hugging Face directory (gguf/tiny-llama-hf), and as GGUF files with gguf.GGUFWriter, the q and
// k rows permuted as convert_hf_to_gguf.py permutes them (gguf/tiny-llama-f16.gguf, untied head;
// gguf/tiny-llama-q8_0.gguf, matrices in Q8_0, tied head). The weights are exact in F16 and Q8_0,
// so all three must give the same logits: only a wrong un-permutation (or name, or shape) differs.
import Foundation
import MoLACheckpoint
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite struct GGUFBaseTests {
    static let directory = Fixtures.path("gguf")
    static let tokens = [1, 17, 299, 42, 42, 0, 150, 3, 255, 8, 9, 120]

    static func logits(base: String) throws -> [Double] {
        let model = try LlamaModel.load(base: base, adapter: nil, batch: 2, time: 6)
        _ = try model.forward(tokens: tokens)
        return model.logits.map(Double.init)
    }

    @Test func ggufBasesGiveTheHuggingFaceLogits() throws {
        let reference = try Self.logits(base: "\(Self.directory)/tiny-llama-hf")
        #expect(reference.count == Self.tokens.count * 559)
        for file in ["tiny-llama-f16.gguf", "tiny-llama-q8_0.gguf"] {
            let logits = try Self.logits(base: "\(Self.directory)/\(file)")
            let scale = reference.map(abs).max() ?? 1
            assertClose(logits, reference, rtol: 1e-6, atol: 1e-6 * scale, file)
        }
    }

    /// Steps of one token read the Q8_0 file's matrices in their quantized form (F16 has none),
    /// and give the full forward's logits, which reads the Float32 copy.
    @Test func oneTokenStepsOnQuantizedMatricesMatchTheFullForward() throws {
        let model = try LlamaModel.load(base: "\(Self.directory)/tiny-llama-q8_0.gguf", adapter: nil, batch: 1, time: Self.tokens.count)
        let quantized = try #require(model.quantizedBase)
        #expect(quantized.head != nil && quantized.projections.joined().allSatisfy { $0 != nil })
        _ = try model.forward(tokens: Self.tokens)
        let full = model.logits.map(Double.init), vocabulary = model.config.vocabularySize
        let generator = try KeyValueCacheGenerator(model: model)
        for (position, token) in Self.tokens.enumerated() {
            let expected = Array(full[(position * vocabulary)..<((position + 1) * vocabulary)])
            let scale = expected.map(abs).max() ?? 1
            assertClose(Array(try generator.step(token)).map(Double.init), expected, rtol: 1e-5, atol: 1e-5 * scale, "position \(position)")
        }
        let f16 = try LlamaModel.load(base: "\(Self.directory)/tiny-llama-f16.gguf", adapter: nil, batch: 1, time: 4)
        #expect(f16.quantizedBase?.head == nil && f16.quantizedBase?.projections.joined().allSatisfy { $0 == nil } == true)
    }

    /// A second model reading another's base (as `continual`'s scorer does) holds no copy of
    /// it, and computes what its owner computes: the full forward and one-token steps on the
    /// shared quantized matrices.
    @Test func aModelSharingAnotherBaseComputesTheSame() throws {
        let owner = try LlamaModel.load(base: "\(Self.directory)/tiny-llama-q8_0.gguf", adapter: nil, batch: 2, time: 6)
        let shared = try LlamaModel(config: owner.config, adapter: nil, batch: 2, time: 6, sharingBaseOf: owner)
        #expect(shared.base.values.pointer == owner.base.values.pointer)
        #expect(shared.quantizedBase != nil && shared.quantizedBase?.byteCount == owner.quantizedBase?.byteCount)
        _ = try owner.forward(tokens: Self.tokens)
        let expected = owner.logits
        _ = try shared.forward(tokens: Self.tokens)
        let sameLogits = shared.logits == expected
        #expect(sameLogits, "the shared base's logits differ from its owner's")
        let sharedOneSequence = try LlamaModel(config: owner.config, adapter: nil, batch: 1, time: Self.tokens.count, sharingBaseOf: owner)
        let own = try LlamaModel.load(base: "\(Self.directory)/tiny-llama-q8_0.gguf", adapter: nil, batch: 1, time: Self.tokens.count)
        let (sharedSteps, ownSteps) = (try KeyValueCacheGenerator(model: sharedOneSequence), try KeyValueCacheGenerator(model: own))
        for (position, token) in Self.tokens.enumerated() {
            let sameStep = Array(try sharedSteps.step(token)) == Array(try ownSteps.step(token))
            #expect(sameStep, "position \(position)")
        }
        let withBase = LlamaModel.memoryRequirement(config: owner.config, adapter: nil, batch: 1, time: 6, threadCount: 1)
        let without = LlamaModel.memoryRequirement(config: owner.config, adapter: nil, batch: 1, time: 6, threadCount: 1, holdingBase: false)
        #expect(withBase.bytes - without.bytes == owner.config.weightMemory.bytes)
    }

    @Test func configurationFromMetadata() throws {
        let f16 = try ModelConfig(gguf: "\(Self.directory)/tiny-llama-f16.gguf")
        let expected = ModelConfig(vocabularySize: 559, hiddenSize: 32, intermediateSize: 64, layerCount: 2, headCount: 4,
                                   keyValueHeadCount: 2, ropeTheta: 500, rmsNormEpsilon: Double(Float(1e-5)), tiedEmbeddings: false)
        #expect(f16 == expected)
        let q8 = try ModelConfig(gguf: "\(Self.directory)/tiny-llama-q8_0.gguf")
        #expect(q8.tiedEmbeddings)
        #expect(try ModelConfig(huggingFaceConfig: "\(Self.directory)/tiny-llama-hf/config.json").hiddenSize == q8.hiddenSize)
    }

    /// The permutation written naively from convert_hf_to_gguf.py's reshape/swapaxes, then undone.
    @Test func unpermutationInvertsTheConvertersPermutation() {
        let (heads, headSize, columns) = (3, 6, 2)
        let original = (0..<(heads * headSize * columns)).map(Float.init)
        // reshape(n_head, 2, D/2, C).swapaxes(1, 2): row (h, j, i) of the result is row (h, i, j).
        var permuted = original
        for h in 0..<heads {
            for j in 0..<(headSize / 2) {
                for i in 0..<2 {
                    for c in 0..<columns {
                        permuted[((h * headSize) + j * 2 + i) * columns + c] = original[((h * headSize) + i * headSize / 2 + j) * columns + c]
                    }
                }
            }
        }
        #expect(permuted != original)
        #expect(LlamaModel.unpermuteRotaryRows(permuted, headCount: heads, columns: columns) == original)
    }

    @Test func baseSourceDispatch() throws {
        #expect(try BaseModelSource(path: "\(Self.directory)/tiny-llama-hf") == .huggingFace(directory: "\(Self.directory)/tiny-llama-hf"))
        #expect(try BaseModelSource(path: "\(Self.directory)/tiny-llama-f16.gguf") == .gguf(file: "\(Self.directory)/tiny-llama-f16.gguf"))
        let json = "\(Self.directory)/tiny-llama-hf/config.json"
        #expect(throws: ModelError.invalidConfig("\(json) is a file but not a .gguf file: give a GGUF file or a Hugging Face model directory")) {
            try BaseModelSource(path: json)
        }
        #expect(throws: ModelError.self) { try BaseModelSource(path: "\(Self.directory)/nowhere.gguf") }
    }

    /// A GGUF of the given metadata and a [V=4, C=8] F32 embedding.
    static func smallFile(_ metadata: [(String, UInt32, [UInt8])]) -> [UInt8] {
        var gguf = GGUFBytes()
        for (key, type, value) in metadata { gguf.add(key: key, type: type, value: value) }
        gguf.addFloat32("token_embd.weight", dimensions: [8, 4], values: [Float](repeating: 0.5, count: 32))
        return gguf.bytes()
    }

    @Test func badGGUFBases() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let qwen = try scratch.write(Self.smallFile([("general.architecture", 8, GGUFBytes.string("qwen2"))]), to: "qwen.gguf")
        #expect(throws: ModelError.unsupportedArchitecture(file: qwen, architecture: "qwen2")) {
            try LlamaModel.load(base: qwen, adapter: nil, batch: 1, time: 2)
        }
        let bare = try scratch.write(Self.smallFile([("general.architecture", 8, GGUFBytes.string("llama"))]), to: "bare.gguf")
        #expect(throws: GGUFError.missingKey(file: bare, key: "llama.attention.head_count")) { try ModelConfig(gguf: bare) }
        let u32 = { (value: UInt32) in GGUFBytes.le(value) }
        let sizes: [(String, UInt32, [UInt8])] = [
            ("general.architecture", 8, GGUFBytes.string("llama")), ("llama.block_count", 4, u32(1)),
            ("llama.embedding_length", 4, u32(8)), ("llama.feed_forward_length", 4, u32(16)),
            ("llama.attention.head_count", 4, u32(2)),
        ]
        let noEpsilon = try scratch.write(Self.smallFile(sizes), to: "no-epsilon.gguf")
        #expect(throws: GGUFError.missingKey(file: noEpsilon, key: "llama.attention.layer_norm_rms_epsilon")) {
            try ModelConfig(gguf: noEpsilon)
        }
        let complete = sizes + [("llama.attention.layer_norm_rms_epsilon", 6, GGUFBytes.le(Float(1e-5).bitPattern))]
        let wrongType = try scratch.write(Self.smallFile(complete + [("llama.rope.freq_base", 8, GGUFBytes.string("1e4"))]),
                                          to: "wrong-type.gguf")
        #expect(throws: GGUFError.wrongValueType(file: wrongType, key: "llama.rope.freq_base", expected: "f32 or f64", found: "str")) {
            try ModelConfig(gguf: wrongType)
        }
        // Configuration complete, but the layers' tensors are missing.
        let noLayers = try scratch.write(Self.smallFile(complete), to: "no-layers.gguf")
        #expect(try ModelConfig(gguf: noLayers).tiedEmbeddings)
        #expect(throws: ModelError.missingTensor(file: noLayers, tensor: "blk.0.attn_norm.weight", expected: [8])) {
            try LlamaModel.load(base: noLayers, adapter: nil, batch: 1, time: 2)
        }
    }
}
