// `convert BASE.gguf --to-hf DIR` as a user runs it, on the tiny GGUF of
// Tests/Fixtures/generate_gguf_golden.py (Q8_0 weights, a byte-level vocabulary with SmolLM's
// pre-tokenizer, 64 positions): the directory it writes is a base that tokenises and scores as
// the GGUF does. (transformers reading such a directory: notebooks-cli/check_convert_hf.py.)
import Foundation
import MoLATestSupport
import Testing

@Suite final class ConvertCommandTests {
    static let gguf = Fixtures.path("gguf/tiny-llama-q8_0.gguf")
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func scores(_ base: String) throws -> [[String: Any]] {
        let result = try runMolaInspect(["score", "--base", base, "--text", "t1t2 t3\nt4", "--top", "3", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [[String: Any]]
    }

    @Test(arguments: ["f32", "f16"])
    func theDirectoryScoresAsTheGGUFDoes(dtype: String) throws {
        let directory = scratch.path("hf-\(dtype)")
        let converted = try runMolaInspect(["convert", Self.gguf, "--to-hf", directory, "--dtype", dtype])
        #expect(converted.status == 0, "\(converted.standardError)")
        for name in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + name), "\(name)")
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/config.json"))) as! [String: Any]
        #expect(config["max_position_embeddings"] as? Int == 64)
        #expect(config["torch_dtype"] as? String == (dtype == "f32" ? "float32" : "float16"))
        let ours = try scores(directory), theirs = try scores(Self.gguf)
        let ourTokens = ours[0]["tokens"] as! [[String: Any]], theirTokens = theirs[0]["tokens"] as! [[String: Any]]
        #expect(ourTokens.map { $0["id"] as! Int } == theirTokens.map { $0["id"] as! Int })
        #expect(ourTokens.map { $0["piece"] as! String } == theirTokens.map { $0["piece"] as! String })
        // Q8_0 values are exact in F32; F16 rounds them.
        assertClose(ours[0]["log_likelihood"] as! Double, theirs[0]["log_likelihood"] as! Double,
                    rtol: dtype == "f32" ? 1e-5 : 1e-2, "log-likelihood")
    }

    @Test func refusesWhatItShouldNotWrite() throws {
        let directory = scratch.path("hf")
        #expect(try runMolaInspect(["convert", Self.gguf, "--to-hf", directory]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors"))
        let again = try runMolaInspect(["convert", Self.gguf, "--to-hf", directory, "--dtype", "f16"])
        #expect(again.status == 1)
        #expect(again.standardError.contains("already holds a model"), "\(again.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors")) == before)
        #expect(try runMolaInspect(["convert", Self.gguf, "--to-hf", directory, "--overwrite"]).status == 0)
        #expect(try runMolaInspect(["convert", directory, "--to-hf", scratch.path("other")]).status == 64)
        #expect(try runMolaInspect(["convert", Self.gguf, "--to-hf", scratch.path("x"), "--dtype", "q4"]).status == 64)
        let missing = try runMolaInspect(["convert", scratch.path("none.gguf"), "--to-hf", scratch.path("y")])
        #expect(missing.status == 1)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("y")))
    }
}
