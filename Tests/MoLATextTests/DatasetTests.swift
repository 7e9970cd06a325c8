// Data files that cannot be used, each with its error.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLAText

@Suite final class DatasetTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    @Test func tokenFilesAndQuestionFiles() throws {
        let notLists = try scratch.write(Array(#"[[1, 2], [3, "x"]]"#.utf8), to: "tokens.json")
        #expect(throws: DatasetError.notTokenLists(file: notLists, record: 1)) { try TextDataset.loadTokens(path: notLists) }
        let noAnswer = try scratch.write(Array(#"{"instruction": "q", "input": ""}"#.utf8), to: "q.jsonl")
        #expect(throws: DatasetError.missingField(file: noAnswer, line: 1, record: nil, field: "answer")) {
            try TextDataset.loadQuestions(path: noAnswer)
        }
        let questions = try scratch.write(Array(#"[{"instruction": "q", "answer": "B"}]"#.utf8), to: "q.json")
        #expect(try TextDataset.loadQuestions(path: questions).map(\.answer) == ["B"])
        let blank = try scratch.write(Array("\n  \n".utf8), to: "blank.txt")
        #expect(throws: DatasetError.empty(file: blank)) { try TextDataset.load(path: blank) }
        let noOutput = try scratch.write(Array(#"[{"instruction": "q"}]"#.utf8), to: "r.json")
        #expect(throws: DatasetError.missingField(file: noOutput, line: nil, record: 0, field: "output")) { try TextDataset.load(path: noOutput) }
    }

    /// Every record is decoded on its own, so errors name the line or record and the field.
    @Test func recordsOfTheWrongShape() throws {
        let wrongType = try scratch.write(Array(#"[{"instruction": "a", "output": "b"}, {"instruction": "a", "output": 3}]"#.utf8), to: "w.json")
        #expect(throws: DatasetError.missingField(file: wrongType, line: nil, record: 1, field: "output")) { try TextDataset.load(path: wrongType) }
        let notObject = try scratch.write(Array("{\"instruction\": \"a\", \"output\": \"b\"}\n\n[1, 2]\n".utf8), to: "n.jsonl")
        #expect(throws: DatasetError.missingField(file: notObject, line: 3, record: nil, field: "instruction")) { try TextDataset.load(path: notObject) }
        let broken = try scratch.write(Array("{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \n".utf8), to: "b.jsonl")
        #expect(throws: DatasetError.invalidJSON(file: broken, line: 2)) { try TextDataset.load(path: broken) }
        let notList = try scratch.write(Array(#"{"instruction": "a"}"#.utf8), to: "o.json")
        #expect(throws: DatasetError.invalidJSON(file: notList, line: nil)) { try TextDataset.load(path: notList) }
        let fractional = try scratch.write(Array("[[1, 2.5]]".utf8), to: "f.json")
        #expect(throws: DatasetError.notTokenLists(file: fractional, record: 0)) { try TextDataset.loadTokens(path: fractional) }
        let extra = try scratch.write(Array(#"{"instruction": "a", "input": "i", "output": "b", "category": "x"}"#.utf8), to: "e.jsonl")
        #expect(try TextDataset.loadRecords(path: extra).map(\.output) == ["b"])
    }
}
