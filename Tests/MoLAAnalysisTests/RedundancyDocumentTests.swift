// The redundancy report read back for plotting: counts must be backed by the file's own
// pairs, so a hostile report cannot make a plot size an experts x experts grid from a number.
import Foundation
import MoLAFiles
import Testing
@testable import MoLAAnalysis

@Suite struct RedundancyDocumentTests {
    private func document(experts: Int, pairs: String, norms: String) -> String {
        """
        {"checkpoint": "c", "file": "f", "format": "safetensors", "allocation": "3", "experts_per_layer": [3],
         "alpha": 16, "metric": "delta", "scaled": true, "projection_set": "attention", "non_finite_tensors": [],
         "layers": [{"layer": 0, "projections": {"q_proj": {"experts": \(experts), "rank": 2, "scale": 8,
                     "pairs": \(pairs), "mean": 1, "norms": \(norms)}}, "attention_mean": 1, "mlp_mean": null, "mean": 1}]}
        """
    }

    private func decode(_ text: String) throws -> RedundancyDocument {
        try JSONDocument.decode(RedundancyDocument.self, from: Data(text.utf8), file: "r.json")
    }

    @Test func aCompleteReportDecodes() throws {
        let report = try decode(document(experts: 3, pairs: "[[0, 1, 1.0], [0, 2, 2.0], [1, 2, null]]", norms: "[1, 2, null]"))
        #expect(report.layers[0].projections[.query]?.pairs.count == 3)
    }

    @Test func countsThatThePairsDoNotBackAreRefused() throws {
        let pairsError = JSONDocumentError.invalidField(file: "r.json", field: "layers[0].projections.q_proj.pairs",
                                                        expected: "every pair [i, j, distance] of the 1000000000 experts, i < j, in order")
        #expect(throws: pairsError) { try decode(document(experts: 1_000_000_000, pairs: "[[0, 1, 1.0]]", norms: "[1]")) }
        // Missing, repeated or reordered pairs.
        for pairs in ["[[0, 1, 1.0], [0, 2, 2.0]]", "[[0, 1, 1.0], [0, 1, 1.0], [1, 2, 1.0]]", "[[0, 2, 1.0], [0, 1, 1.0], [1, 2, 1.0]]"] {
            #expect(throws: JSONDocumentError.self) { try decode(document(experts: 3, pairs: pairs, norms: "[1, 2, 3]")) }
        }
        #expect(throws: JSONDocumentError.invalidField(file: "r.json", field: "layers[0].projections.q_proj.norms",
                                                       expected: "one norm per expert (3)")) {
            try decode(document(experts: 3, pairs: "[[0, 1, 1.0], [0, 2, 2.0], [1, 2, 3.0]]", norms: "[1]"))
        }
        #expect(throws: JSONDocumentError.invalidField(file: "r.json", field: "layers[0].projections.q_proj.experts",
                                                       expected: "a positive number of experts")) {
            try decode(document(experts: 0, pairs: "[]", norms: "[]"))
        }
    }
}
