// The key/value-cache generator gives the same logits as the full forward pass, position by position.
import Foundation
import MoLACheckpoint
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite struct KeyValueCacheGeneratorTests {
    static let directory = Fixtures.path("tiny-model")

    /// The tiny golden model (16 positions), its first golden sequence and the full forward's
    /// logits for it, [16, vocabulary].
    static func fullForward() throws -> (model: LlamaModel, tokens: [Int], logits: [Float]) {
        let model = try LlamaModel.load(baseDirectory: "\(directory)/base", adapter: Checkpoint(path: "\(directory)/adapter"),
                                        topK: [2, 2, 2], batch: 1, time: 16)
        let golden = try SafetensorsFile(path: "\(directory)/golden.safetensors")
        let tokens = Array(try golden.record(named: "tokens").doubles().map { Int($0) }.prefix(16))
        try model.forward(tokens: tokens)
        return (model, tokens, model.logits)
    }

    @Test func cachedStepsMatchTheFullForward() throws {
        let (model, tokens, full) = try Self.fullForward()
        let generator = try KeyValueCacheGenerator(model: model)
        let vocabulary = model.config.vocabularySize
        for (position, token) in tokens.enumerated() {
            let logits = Array(try generator.step(token))
            assertClose(logits.map(Double.init), full[(position * vocabulary)..<((position + 1) * vocabulary)].map(Double.init),
                        rtol: 1e-4, atol: 1e-4, "position \(position)")
        }
        #expect(throws: ModelError.invalidConfig("the sequence is longer than the model's 16 positions")) {
            try generator.step(1)  // the cache is full
        }
    }

    /// A prompt fed in chunks (of 5, then the rest in chunks of 3 and one token) leaves the same
    /// cache: the logits after each chunk are the full forward's at its last position.
    @Test func chunksMatchTheFullForward() throws {
        let (model, tokens, full) = try Self.fullForward()
        let vocabulary = model.config.vocabularySize
        func expectFull(_ logits: UnsafeBufferPointer<Float>, at position: Int) {
            assertClose(Array(logits).map(Double.init), full[(position * vocabulary)..<((position + 1) * vocabulary)].map(Double.init),
                        rtol: 1e-4, atol: 1e-4, "position \(position)")
        }
        let chunked = try KeyValueCacheGenerator(model: model, chunkCapacity: 3)
        expectFull(try chunked.feed(Array(tokens[0..<5])), at: 4)  // two chunks: 3 and 2
        expectFull(try chunked.feed(Array(tokens[5..<15])), at: 14)
        expectFull(try chunked.step(tokens[15]), at: 15)
        let whole = try KeyValueCacheGenerator(model: model)
        expectFull(try whole.feed(tokens), at: 15)
        #expect(throws: ModelError.self) { try whole.feed([1]) }
    }

    @Test func greedyGenerationStopsAtTheStopToken() throws {
        let model = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: Checkpoint(path: "\(Self.directory)/adapter"),
                                        batch: 1, time: 16)
        let generator = try KeyValueCacheGenerator(model: model)
        let generated = try generator.generate(prompt: [1, 2, 3], maxNewTokens: 5, stop: nil)
        #expect(generated.count == 5)
        // Greedy: each token is the argmax of the full forward pass's logits after the ones before
        // it (the pass is causal, so the padding after them changes nothing).
        let sequence = [1, 2, 3] + generated
        try model.forward(tokens: sequence + Array(repeating: 0, count: 16 - sequence.count))
        let vocabulary = model.config.vocabularySize
        for (index, token) in generated.enumerated() {
            let row = Array(model.logits[((2 + index) * vocabulary)..<((3 + index) * vocabulary)])
            #expect(token == row.indices.max { row[$0] < row[$1] }!, "generated token \(index)")
        }
        // Continuing a prompt that holds the first two gives the third.
        let again = try generator.generate(prompt: [1, 2, 3] + generated.prefix(2), maxNewTokens: 1, stop: nil)
        #expect(again == [generated[2]])
        let stopped = try generator.generate(prompt: [1, 2, 3], maxNewTokens: 5, stop: generated[1])
        #expect(stopped == Array(generated.prefix(2)))
    }
}
