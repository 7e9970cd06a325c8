// JSON documents: the encoder keeps declaration order and writes absent values as null (or leaves
// them out), the decoder names the file and the field of every problem, and writes are atomic.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing

private struct Sample: Codable, Equatable {
    var zebra: Int
    var apple: [Double]
    var missing: String?
    var nested: Nested

    struct Nested: Codable, Equatable {
        var count: Int
        var items: [Item]
    }

    struct Item: Codable, Equatable {
        var name: String
        var positive: Int

        init(name: String, positive: Int) {
            self.name = name
            self.positive = positive
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            positive = try container.decode(Int.self, forKey: .positive)
            guard positive > 0 else { throw JSONExpectation.error("a positive integer", forKey: .positive, in: container) }
        }
    }
}

@Suite final class JSONDocumentTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private let sample = Sample(zebra: 3, apple: [0.5, .nan], missing: nil,
                                nested: .init(count: 1, items: [.init(name: "a\"b", positive: 2)]))

    @Test func keysInDeclarationOrderAndAbsentValuesAsNull() throws {
        let text = try JSONDocument.rendered(sample)
        #expect(text == """
            {
              "zebra": 3,
              "apple": [0.5, null],
              "missing": null,
              "nested": {
                "count": 1,
                "items": [
                  {
                    "name": "a\\"b",
                    "positive": 2
                  }
                ]
              }
            }
            """)
        #expect(!(try JSONDocument.rendered(sample, nullForAbsentValues: false)).contains("missing"))
    }

    @Test func writeThenReadRoundTrips() throws {
        var finite = sample
        finite.apple = [0.1, 1e-300, 12345.678]
        finite.missing = "here"
        let path = scratch.path("sample.json")
        try JSONDocument.write(finite, to: path)
        #expect(try JSONDocument.read(Sample.self, from: path) == finite)
    }

    @Test func errorsNameTheFileAndTheField() throws {
        func decode(_ text: String) throws -> Sample {
            try JSONDocument.decode(Sample.self, from: Data(text.utf8), file: "f.json")
        }
        let base = #""zebra": 1, "apple": [], "nested": {"count": 1, "items": [{"name": "x", "positive": 1}]}"#
        #expect(try decode("{\(base), \"extra\": {\"ignored\": true}}").zebra == 1)
        #expect(throws: JSONDocumentError.notJSON(file: "f.json", reason: "not valid JSON")) { try decode("{\"zebra\": ") }
        #expect(throws: JSONDocumentError.notJSON(file: "f.json", reason: "the top level is not an object")) { try decode("[1, 2]") }
        #expect(throws: JSONDocumentError.missingField(file: "f.json", field: "zebra")) {
            try decode(#"{"apple": [], "nested": {"count": 1, "items": []}}"#)
        }
        #expect(throws: JSONDocumentError.invalidField(file: "f.json", field: "zebra", expected: "an integer")) {
            try decode(base.replacingOccurrences(of: #""zebra": 1"#, with: #""zebra": "one""#).wrappedInBraces)
        }
        #expect(throws: JSONDocumentError.invalidField(file: "f.json", field: "nested.items[0].positive", expected: "a positive integer")) {
            try decode(base.replacingOccurrences(of: #""positive": 1"#, with: #""positive": 0"#).wrappedInBraces)
        }
        #expect(throws: JSONDocumentError.invalidField(file: "f.json", field: "nested.items[0].name", expected: "a string")) {
            try decode(base.replacingOccurrences(of: #""name": "x""#, with: #""name": null"#).wrappedInBraces)
        }
        // A boolean is no number: `"zebra": true` is not 1 (Foundation's decoder on Darwin once took it so).
        #expect(throws: JSONDocumentError.invalidField(file: "f.json", field: "zebra", expected: "an integer")) {
            try decode(base.replacingOccurrences(of: #""zebra": 1"#, with: #""zebra": true"#).wrappedInBraces)
        }
        #expect(throws: JSONDocumentError.invalidField(file: "f.json", field: "apple[0]", expected: "a number")) {
            try decode(base.replacingOccurrences(of: #""apple": []"#, with: #""apple": [false]"#).wrappedInBraces)
        }
        #expect(throws: InputFileError.cannotOpen(path: scratch.path("absent.json"), reason: "No such file or directory")) {
            try JSONDocument.read(Sample.self, from: scratch.path("absent.json"))
        }
    }

    @Test func aFailingProducerLeavesTheOldFileAndNoTemporary() throws {
        let path = try scratch.write(Array("old".utf8), to: "figure.png")
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            try AtomicFileWriter.produce(path) { temporary in
                try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
                throw Failure()
            }
        }
        #expect(FileManager.default.contents(atPath: path) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("")) == ["figure.png"])
        try AtomicFileWriter.produce(path) { try Data("new".utf8).write(to: URL(fileURLWithPath: $0)) }
        #expect(FileManager.default.contents(atPath: path) == Data("new".utf8))
    }
}

private extension String {
    var wrappedInBraces: String { "{\(self)}" }
}
