// Scoring and sampling against references: the log-probabilities of `TokenScorer` are checked
// against a naive float64 log-softmax of the PyTorch logits of Tests/Fixtures/generate_model_golden.py
// (the tiny base with its MoLA adapter), and `TokenSampler`'s draws against the distribution.
import Foundation
import MoLACheckpoint
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite struct TokenScorerTests {
    static let directory = Fixtures.path("tiny-model")

    /// The first golden sequence and its float64 logits from PyTorch, [16, vocabulary].
    static func golden() throws -> (tokens: [Int], logits: [[Double]]) {
        let golden = try SafetensorsFile(path: "\(directory)/golden.safetensors")
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let logits = try golden.record(named: "logits").doubles()
        let vocabulary = logits.count / tokens.count
        return (Array(tokens.prefix(16)), (0..<16).map { Array(logits[($0 * vocabulary)..<(($0 + 1) * vocabulary)]) })
    }

    static func model(time: Int) throws -> LlamaModel {
        try LlamaModel.load(baseDirectory: "\(directory)/base", adapter: Checkpoint(path: "\(directory)/adapter"), topK: [2, 2, 2],
                            batch: 1, time: time, threadCount: 2)
    }

    static func naiveLogSoftmax(_ row: [Double]) -> [Double] {
        let maximum = row.max()!
        let normaliser = maximum + log(row.reduce(0) { $0 + exp($1 - maximum) })
        return row.map { $0 - normaliser }
    }

    @Test func logProbabilitiesAndTopTokensMatchALogSoftmaxOfPyTorchsLogits() throws {
        let (tokens, logits) = try Self.golden()
        let score = try TokenScorer.score(tokens, model: Self.model(time: 16), top: 5)
        #expect(score.logProbabilities.count == 16 && score.logProbabilities[0] == nil && score.alternatives[0] == nil)
        var expectedLikelihood = 0.0
        for position in 1..<16 {
            let reference = Self.naiveLogSoftmax(logits[position - 1])
            let ours = try #require(score.logProbabilities[position])
            assertClose(ours, reference[tokens[position]], rtol: 1e-4, atol: 1e-4, "position \(position)")
            expectedLikelihood += reference[tokens[position]]
            let best = reference.indices.sorted { reference[$0] > reference[$1] }.prefix(5)
            let alternatives = try #require(score.alternatives[position])
            #expect(alternatives.map(\.id) == Array(best), "position \(position)")
            assertClose(alternatives.map(\.logProbability), best.map { reference[$0] }, rtol: 1e-4, atol: 1e-4, "top at \(position)")
        }
        let last = Self.naiveLogSoftmax(logits[15])
        #expect(score.next.map(\.id) == Array(last.indices.sorted { last[$0] > last[$1] }.prefix(5)))
        assertClose(score.logLikelihood, expectedLikelihood, rtol: 1e-4, "log-likelihood")
        assertClose(try #require(score.perplexity), exp(-expectedLikelihood / 15), rtol: 1e-4, "perplexity")
    }

    /// Positions are shared between workers, each computed alone: any thread count gives the same.
    @Test func scoresAreTheSameOnAnyThreads() throws {
        let (tokens, _) = try Self.golden()
        let model = try Self.model(time: 16)
        let single = try TokenScorer.score(tokens, model: model, top: 5, threads: 1)
        for threads in [2, 3, 40] {
            let shared = try TokenScorer.score(tokens, model: model, top: 5, threads: threads)
            #expect(shared.logProbabilities == single.logProbabilities && shared.alternatives == single.alternatives
                    && shared.next == single.next, "threads \(threads)")
        }
    }

    @Test func aShortSequenceInALongerWindowScoresAsItsOwnPrefix() throws {
        let (tokens, _) = try Self.golden()
        let model = try Self.model(time: 16)
        let whole = try TokenScorer.score(tokens, model: model, top: 0)
        let prefix = try TokenScorer.score(Array(tokens.prefix(7)), model: model, top: 0)
        for position in 1..<7 {
            assertClose(try #require(prefix.logProbabilities[position]), try #require(whole.logProbabilities[position]),
                        rtol: 1e-5, atol: 1e-6, "position \(position)")
        }
        #expect(prefix.alternatives[1] == [])
        #expect(try TokenScorer.score([tokens[0]], model: model, top: 1).perplexity == nil)
        #expect(throws: ModelError.self) { try TokenScorer.score(tokens + [1], model: model, top: 0) }
    }

    @Test func greedyTakesTheLargestLogitAndTheLowerIdAmongEquals() {
        let logits: [Float] = [0.5, 2, -1, 2, 1.5]
        logits.withUnsafeBufferPointer { row in
            #expect(TokenSampler.greedy(row) == 1)
            var sampler = TokenSampler()
            #expect(sampler.next(row) == 1)
            var narrow = TokenSampler(temperature: 1, topP: 1e-6, seed: 9)
            #expect((0..<20).allSatisfy { _ in narrow.next(row) == 1 })
        }
    }

    @Test func samplesFollowTheSoftmaxWithinTheNucleusAndRepeatForASeed() {
        let logits: [Float] = [log(0.5), log(0.3), log(0.15), log(0.05)]
        logits.withUnsafeBufferPointer { row in
            var sampler = TokenSampler(temperature: 1, topP: 1, seed: 1)
            var counts = [0, 0, 0, 0]
            for _ in 0..<20_000 { counts[sampler.next(row)] += 1 }
            for (index, probability) in [0.5, 0.3, 0.15, 0.05].enumerated() {
                #expect(abs(Double(counts[index]) / 20_000 - probability) < 0.015, "token \(index): \(counts)")
            }
            // The nucleus of 0.75 keeps 0.5 + 0.3: the others are never drawn, the two renormalised.
            var nucleus = TokenSampler(temperature: 1, topP: 0.75, seed: 2)
            var kept = [0, 0, 0, 0]
            for _ in 0..<10_000 { kept[nucleus.next(row)] += 1 }
            #expect(kept[2] == 0 && kept[3] == 0)
            #expect(abs(Double(kept[0]) / 10_000 - 0.625) < 0.02, "\(kept)")
            var first = TokenSampler(temperature: 0.7, topP: 0.9, seed: 42), second = TokenSampler(temperature: 0.7, topP: 0.9, seed: 42)
            #expect((0..<50).map { _ in first.next(row) } == (0..<50).map { _ in second.next(row) })
        }
    }
}
