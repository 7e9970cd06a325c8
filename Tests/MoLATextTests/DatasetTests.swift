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
}
