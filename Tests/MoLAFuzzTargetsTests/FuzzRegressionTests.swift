// Every input the fuzzers found (Tests/Fixtures/fuzz-regressions/<target>/, minimised by
// libFuzzer) replayed through the same entry the fuzzer calls, with the error each must now
// throw, as Tests/Fixtures/fuzz-regressions/expected.json records it; and each target's
// well-formed fixtures accepted, so that a target that refuses everything cannot pass unseen.
import Foundation
import MoLACheckpoint
import MoLAFuzzTargets
import MoLATestSupport
import Testing

@Suite struct FuzzRegressionTests {
    static let directory = Fixtures.directory.appendingPathComponent("fuzz-regressions")

    /// One entry of `expected.json`: what the input is and the error case it must throw.
    struct Expectation: Decodable {
        /// `PickleError.nestingTooDeep`; nil while the reader still crashes on it (`open`).
        var error: String?
        /// The parser, the input's shape and the cause of the crash, in a sentence.
        var finding: String
        /// Why it is not replayed yet (a crash not fixed on this branch), when it is not.
        var open: String?
    }

    static func expectations() throws -> [String: Expectation] {
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode([String: Expectation].self, from: data)
    }

    /// `<target>/<file>` of every committed input.
    static func inputs() throws -> [String] {
        var found: [String] = []
        for target in FuzzTarget.allCases {
            let folder = directory.appendingPathComponent(target.rawValue)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            found += names.filter { !$0.hasPrefix(".") }.map { "\(target.rawValue)/\($0)" }
        }
        return found.sorted()
    }

    @Test func everyInputHasAnExpectationAndEveryExpectationAnInput() throws {
        let expectations = try Self.expectations()
        let inputs = try Self.inputs()
        #expect(Set(inputs) == Set(expectations.keys), "inputs without an entry: \(Set(inputs).subtracting(expectations.keys).sorted()); entries without an input: \(Set(expectations.keys).subtracting(inputs).sorted())")
        for (name, expectation) in expectations {
            #expect((expectation.error == nil) == (expectation.open != nil), "\(name): give the error it throws, or say why it is open")
        }
    }

    @Test func everyFixedInputThrowsItsError() throws {
        for (name, expectation) in try Self.expectations().sorted(by: { $0.key < $1.key }) {
            guard let expected = expectation.error else { continue }
            let target = try #require(FuzzTarget(rawValue: String(name.prefix { $0 != "/" })), "\(name): no such target")
            let bytes = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(name)))
            do {
                try target.run(bytes)
                Issue.record("\(name) was accepted; expected \(expected) (\(expectation.finding))")
            } catch {
                #expect(errorCaseName(error) == expected, "\(name): \(error)")
            }
        }
    }

    /// Inputs that still crash the readers on this branch are listed, not run (a crash would end
    /// the test process); each shows up as a known issue until its reader is fixed.
    @Test func openFindingsAreListed() throws {
        for (name, expectation) in try Self.expectations().sorted(by: { $0.key < $1.key }) {
            guard let reason = expectation.open else { continue }
            withKnownIssue("\(name): \(expectation.finding)") {
                Issue.record("not replayed: \(reason)")
            }
        }
    }

    /// The fixtures the fuzzers start from are files the parsers accept.
    @Test(arguments: [
        (FuzzTarget.safetensors, "one-expert/adapter_model.safetensors"),
        (.safetensors, "small-2468-bf16/adapter_model.safetensors"),
        (.zip, "twelve-experts-bin/adapter_model.bin"),
        (.torchArchive, "small-2468-f16-bin/adapter_model.bin"),
        (.gguf, "gguf/tiny-llama-q8_0.gguf"),
        (.modelConfig, "tiny-model/base/config.json"),
        (.adapterConfig, "small-2468-f32/adapter_config.json"),
        (.frameworkConfig, "frameworks/moe-peft-mixlora/adapter_config.json"),
        (.sidecar, "fuzz-seeds/sidecar/mola_config.json"),
        (.trainerState, "fuzz-seeds/trainer-state/trainer_state.json"),
        (.tokenizerConfig, "llama-tokenizer/tokenizer_config.json"),
        (.redundancyDocument, "fuzz-seeds/redundancy-document/near-duplicate-q.json"),
        (.routingDocument, "fuzz-seeds/routing-document/tiny-model.json"),
        (.experimentReport, "fuzz-seeds/experiment-report/continual.json"),
        (.experimentReport, "fuzz-seeds/experiment-report/eval.json"),
        (.tokenizer, "llama-tokenizer/metaspace/tokenizer.json"),
        (.byteLevelTokenizer, "bpe-tokenizers/llama3/tokenizer.json"),
        (.byteLevelTokenizer, "bpe-tokenizers/smollm/tokenizer.json"),
        (.tokenizerVocabulary, "bpe-tokenizers/smollm-vocabulary.json"),
        (.tokenizerVocabulary, "bpe-tokenizers/spm-vocabulary.json"),
        (.shardIndex, "fuzz-seeds/shard-index/model.safetensors.index.json"),
        (.routingTrace, "fuzz-seeds/routing-trace/rank-00000.json"),
    ])
    func fixturesAreAccepted(target: FuzzTarget, fixture: String) throws {
        try target.run([UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path(fixture)))))
    }

    @Test func pickleOfAnArchiveIsAccepted() throws {
        // The data.pkl record of a torch.save fixture.
        let archive = try ZipArchive(file: MappedFile(path: Fixtures.path("twelve-experts-bin/adapter_model.bin")))
        let (offset, count) = try archive.storedData(of: try #require(archive.entries["adapter_model/data.pkl"]))
        try FuzzTarget.pickle.run(try #require(archive.file.bytes(at: offset, count: count)))
    }

    @Test func datasetThrowsTheErrorOfTheFirstReadingThatFails() throws {
        // Plain text is not JSON Lines: the first reading (JSONL records) names line 1.
        #expect(throws: (any Error).self) { try FuzzTarget.dataset.run(Array("just text\n".utf8)) }
        #expect(errorCaseName(DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: ""))) == "DecodingError.dataCorrupted")
    }
}
