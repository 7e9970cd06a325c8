// The continual-learning summaries against sums done by hand, and the report's checks of its parts.
import Foundation
import MoLAFiles
import Testing
@testable import MoLATrain

@Suite struct AccuracyMatrixTests {
    /// Three domains; by hand: OP = (0.5 + 0.25 + 0.75) / 3 = 0.5,
    /// BWT = ((0.5 - 0.75) + (0.25 - 1.0)) / 2 = -0.5.
    static let rows: [[Double]] = [[0.75, 0.0, 0.25], [0.5, 1.0, 0.0], [0.5, 0.25, 0.75]]

    @Test func summariesMatchTheDefinitions() {
        var matrix = AccuracyMatrix(domains: ["a", "b", "c"])
        #expect(matrix.overallPerformance == nil && matrix.backwardTransfer == nil)
        for row in Self.rows { matrix.append(row) }
        #expect(matrix.isComplete)
        #expect(matrix.overallPerformance == 0.5)
        #expect(matrix.backwardTransfer == -0.5)
        #expect(matrix == AccuracyMatrix(domains: ["a", "b", "c"], rows: Self.rows))
    }

    @Test func nothingForgottenIsZeroAndGainsArePositive() {
        let kept = AccuracyMatrix(domains: ["a", "b"], rows: [[0.5, 0.0], [0.5, 1.0]])
        #expect(kept.backwardTransfer == 0 && kept.overallPerformance == 0.75)
        let gained = AccuracyMatrix(domains: ["a", "b"], rows: [[0.25, 0.0], [1.0, 1.0]])
        #expect(gained.backwardTransfer == 0.75)
    }

    static func report() -> ContinualReport {
        let matrix = AccuracyMatrix(domains: ["a", "b", "c"], rows: rows)
        let runs = ["a", "b", "c"].enumerated().map {
            ContinualReport.Run(domain: $1, steps: 3, loss: 1.5, trainingSeconds: 2, evaluationSeconds: 1, checkpoint: "\($0 + 1)-\($1)")
        }
        return ContinualReport(base: "base.gguf", allocation: [2, 4], topK: [2, 2], seed: 1, questions: [4, 4, 4], matrix: matrix, runs: runs)
    }

    @Test func reportRoundTrips() throws {
        let text = try JSONDocument.rendered(Self.report())
        let read = try JSONDocument.decode(ContinualReport.self, from: Data(text.utf8), file: "continual.json")
        #expect(read.matrix == Self.report().matrix && read.overallPerformance == 0.5 && read.backwardTransfer == -0.5)
        #expect(read.runs.map(\.checkpoint) == ["1-a", "2-b", "3-c"] && read.topK == [2, 2])
        // The keys the README documents.
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["base", "allocation", "top_k", "seed", "domains", "questions", "R", "overall_performance",
                                     "backward_transfer", "runs"])
    }

    /// Reports whose parts disagree are refused, naming the field.
    @Test(arguments: [
        ("\"R\": [[0.75, 0.0, 0.25], [0.5, 1.0, 0.0], [0.5, 0.25, 0.75]]", "\"R\": [[0.75, 0.0, 0.25], [0.5, 1.0, 0.0]]", "R"),
        ("\"R\": [[0.75, 0.0, 0.25], [0.5, 1.0, 0.0], [0.5, 0.25, 0.75]]", "\"R\": [[0.75, 0.0, 0.25], [0.5, 1.0, 0.0], [0.5, 0.25, 1.75]]", "R"),
        ("\"overall_performance\": 0.5", "\"overall_performance\": 0.6", "overall_performance"),
        ("\"backward_transfer\": -0.5", "\"backward_transfer\": 0.5", "backward_transfer"),
        ("\"domains\": [\"a\", \"b\", \"c\"]", "\"domains\": [\"a\", \"a\", \"c\"]", "domains"),
        ("\"questions\": [4, 4, 4]", "\"questions\": [4, 0, 4]", "questions"),
        ("\"domain\": \"b\"", "\"domain\": \"x\"", "runs"),
    ])
    func inconsistentReportsAreRefused(original: String, replacement: String, field: String) throws {
        let text = try JSONDocument.rendered(Self.report())
        #expect(text.contains(original), "the rendered report changed: \(text)")
        let broken = text.replacingOccurrences(of: original, with: replacement)
        #expect {
            _ = try JSONDocument.decode(ContinualReport.self, from: Data(broken.utf8), file: "continual.json")
        } throws: { error in
            "\(error)".contains(field)
        }
    }
}
