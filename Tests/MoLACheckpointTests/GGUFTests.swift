// The GGUF reader against the `gguf` Python package: Tests/Fixtures/generate_gguf_golden.py
// writes gguf/quant-types.gguf (random blocks of every dequantized type, metadata of every value
// type) with gguf.GGUFWriter, and gguf/quant-types.json with what gguf.quants.dequantize gives.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite struct GGUFTests {
    static let path = Fixtures.path("gguf/quant-types.gguf")

    @Test func everyTypeDequantizesAsTheGGUFPackageDoes() throws {
        let file = try GGUFFile(path: Self.path)
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("gguf/quant-types.json")))
        let golden = try JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        #expect(golden.count == 13)
        for (name, entry) in golden.sorted(by: { $0.key < $1.key }) {
            let tensor = try file.tensor(named: name)
            #expect(tensor.type.name == entry["type"] as? String, "\(name)")
            #expect(tensor.shape == entry["shape"] as? [Int], "\(name)")
            // Float32 values written by json.dump; Foundation's parser can miss the last bit of the
            // double, so the expected values are rounded to Float, as they were written.
            let expected = (entry["values"] as! [NSNumber]).map { Double(Float($0.doubleValue)) }
            // The same float operations in the same order: bit for bit the package's values.
            assertClose(try file.floats(of: tensor).map(Double.init), expected, rtol: 0, atol: 0, name)
        }
    }

    /// Runs of rows on several threads give the rows one pass gives (tensors this small are
    /// converted in one pass by `floats`, so the split is asked for directly).
    @Test func rowsSplitOverThreadsMatchOnePass() throws {
        let file = try GGUFFile(path: Self.path)
        for tensor in file.tensors where tensor.type.isDequantizable && tensor.rowCount > 1 {
            let bytes = try #require(file.file.bytes(at: file.dataOffset + Int(tensor.storedOffset), count: tensor.byteCount))
            var split = [Float](repeating: .nan, count: tensor.elementCount)
            split.withUnsafeMutableBufferPointer { output in
                GGUFDequantizer.dequantizeRows(tensor.type, bytes.baseAddress!, rowCount: tensor.rowCount, rowLength: tensor.rowLength,
                                               into: output.baseAddress!, chunks: tensor.rowCount)
            }
            assertClose(split.map(Double.init), try file.floats(of: tensor, threadCount: 1).map(Double.init), rtol: 0, atol: 0, tensor.name)
        }
    }

    @Test func headerAndTensorInfos() throws {
        let file = try GGUFFile(path: Self.path)
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        #expect(file.tensors.count == 15)
        let threeD = try file.tensor(named: "t.Q8_0.3d")
        #expect(threeD.dimensions == [32, 1, 2])
        #expect(threeD.shape == [2, 1, 32])
        #expect(threeD.rowCount == 2 && threeD.rowLength == 32)
        #expect(threeD.byteCount == 2 * 34)
        #expect(try file.floats(of: threeD).count == 64)
        #expect(try file.tensor(named: "t.Q4_K").byteCount == 2 * 144)
    }

    @Test func metadataOfEveryValueType() throws {
        let metadata = try GGUFFile(path: Self.path).metadata
        #expect(metadata["test.uint8"] == .uint8(200))
        #expect(metadata["test.int8"] == .int8(-100))
        #expect(metadata["test.uint16"] == .uint16(60000))
        #expect(metadata["test.int16"] == .int16(-30000))
        #expect(try metadata.uint32("test.uint32") == 4_000_000_000)
        #expect(metadata["test.int32"] == .int32(-2_000_000_000))
        #expect(try metadata.float("test.float32") == 0.15625)
        #expect(try metadata.bool("test.bool"))
        #expect(try metadata.string("test.string") == "héllo ✓")
        #expect(metadata["test.uint64"] == .uint64(18_000_000_000_000_000_000))
        #expect(try metadata.integer("test.int64") == -9_000_000_000_000_000_000)
        #expect(try metadata.float("test.float64") == -2.5e-300)
        #expect(try metadata.strings("test.strings") == ["a", "", "ü"])
        #expect(try metadata.int32s("test.int32s") == [1, -2, 3])
        #expect(try metadata.float32s("test.float32s") == [0.5, -1.25])
        #expect(try metadata.array("test.bools") == .bool([true, false]))
        #expect(try metadata.array("test.nested") == .array([.int32([1, 2]), .int32([3])]))
        #expect(try metadata.array("test.nested_strings") == .array([.string(["x"]), .string(["y", "z"])]))
        #expect(try metadata.string("general.architecture") == "llama")
        #expect(metadata.keys.first == "general.architecture")
        #expect(try metadata.optional("absent", metadata.uint32) == nil)
        #expect(try metadata.optional("test.uint32", metadata.uint32) == 4_000_000_000)
    }

    @Test func typedAccessNamesTheKey() throws {
        let metadata = try GGUFFile(path: Self.path).metadata
        #expect(throws: GGUFError.missingKey(file: Self.path, key: "llama.block_count")) {
            try metadata.uint32("llama.block_count")
        }
        #expect(throws: GGUFError.wrongValueType(file: Self.path, key: "test.int32", expected: "u32", found: "i32")) {
            try metadata.uint32("test.int32")
        }
        #expect(throws: GGUFError.wrongValueType(file: Self.path, key: "test.int32s", expected: "arr[str]", found: "arr[i32]")) {
            try metadata.strings("test.int32s")
        }
        #expect(throws: GGUFError.wrongValueType(file: Self.path, key: "test.uint64", expected: "an integer that fits in 64 bits", found: "u64")) {
            try metadata.integer("test.uint64")
        }
    }

    @Test func typesNotDequantizedAreRefusedByName() throws {
        let file = try GGUFFile(path: Self.path)
        #expect(throws: GGUFError.unsupportedTensorType(file: Self.path, tensor: "t.I32", type: "I32")) {
            try file.floats(named: "t.I32")
        }
        #expect(throws: GGUFError.noSuchTensor(file: Self.path, tensor: "absent")) { try file.floats(named: "absent") }
    }

    @Test func typeTableMatchesGGML() {
        // Block byte counts from ggml-common.h's static_asserts.
        let expected: [GGUFTensorType: (Int, Int)] = [
            .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22), .q5_1: (32, 24), .q8_0: (32, 34), .q8_1: (32, 36),
            .q2_K: (256, 84), .q3_K: (256, 110), .q4_K: (256, 144), .q5_K: (256, 176), .q6_K: (256, 210),
            .q8_K: (256, 292), .iq2_xxs: (256, 66), .iq2_xs: (256, 74), .iq3_xxs: (256, 98), .iq1_s: (256, 50),
            .iq4_nl: (32, 18), .iq3_s: (256, 110), .iq2_s: (256, 82), .iq4_xs: (256, 136), .iq1_m: (256, 56),
            .tq1_0: (256, 54), .tq2_0: (256, 66), .mxfp4: (32, 17), .nvfp4: (64, 36), .bf16: (1, 2),
        ]
        for (type, (values, bytes)) in expected {
            #expect(type.blockSize == values && type.blockByteCount == bytes, "\(type.name)")
        }
        #expect(GGUFTensorType.q4_K.name == "Q4_K" && GGUFTensorType.iq2_xxs.name == "IQ2_XXS")
    }

    @Test func tokenizerMetadataOfTheTinyLlama() throws {
        let file = try GGUFFile(path: Fixtures.path("gguf/tiny-llama-f16.gguf"))
        let tokenizer = try GGUFTokenizerMetadata(file.metadata)
        #expect(tokenizer.model == "gpt2" && tokenizer.preTokenizer == "smollm")
        // The small SmolLM-style vocabulary of bpe-tokenizers/smollm-vocabulary.json.
        #expect(tokenizer.tokens.count == 559 && tokenizer.tokens[558] == "<|im_end|>")
        #expect(tokenizer.tokenTypes?.last == 3 && tokenizer.tokenTypes?.count == 559)
        #expect(tokenizer.merges?.count == 300 && tokenizer.merges?.first == "a a")
        #expect(tokenizer.scores == nil)
        #expect(tokenizer.beginningOfSequenceId == 557 && tokenizer.endOfSequenceId == 558 && tokenizer.paddingId == 558)
        #expect(tokenizer.addsBeginningOfSequence == false)
        #expect(tokenizer.chatTemplate?.hasPrefix("{% for message in messages %}") == true)
        #expect(throws: GGUFError.missingKey(file: Self.path, key: "tokenizer.ggml.model")) {
            try GGUFTokenizerMetadata(GGUFFile(path: Self.path).metadata)
        }
    }
}
