// Merging experts: the low-rank arithmetic against dense float64 matrices (the naive reference),
// the merge order, usage weights, router rows, and the refusals of a bad target.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLAAnalysis
import MoLACheckpoint
import MoLATensor

@Suite final class MergeTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let prefix = "base_model.model.model.layers.0.self_attn.q_proj"

    /// One layer of q_proj (rank 2, 6 -> 6, alpha 16 so s = 8): expert 2 is expert 0 nudged by
    /// 1e-3, expert 1 and 3 are unrelated; router rows 0..3 distinct.
    private func checkpoint() throws -> (path: String, tensors: [String: [Float]]) {
        var random = SplitMix(seed: 21)
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        var values: [String: [Float]] = [:]
        var a0: [Float] = [], b0: [Float] = []
        for expert in 0..<4 {
            var a = (0..<12).map { _ in Float(random.normal()) }, b = (0..<12).map { _ in Float(random.normal() * 0.1) }
            if expert == 0 { (a0, b0) = (a, b) }
            if expert == 2 { a = a0.map { $0 + 1e-3 }; b = b0 }
            tensors.append(("\(Self.prefix).lora_A_\(expert).weight", [2, 6], a))
            tensors.append(("\(Self.prefix).lora_B_\(expert).weight", [6, 2], b))
            values["A\(expert)"] = a
            values["B\(expert)"] = b
        }
        let router = (0..<24).map { Float($0) / 10 }
        tensors.append(("\(Self.prefix).router.router.weight", [4, 6], router))
        values["router"] = router
        try scratch.write(safetensorsBytes(tensors: tensors), to: "merge/adapter_model.safetensors")
        try scratch.write(Array(#"{"peft_type": "LORA", "r": [2], "lora_alpha": 16}"#.utf8), to: "merge/adapter_config.json")
        return (scratch.path("merge"), values)
    }

    /// `s B A` densely, `[6, 6]`.
    static func dense(b: [Float], a: [Float], scale: Double = 8) -> [Double] {
        (0..<36).map { index in
            let (row, column) = (index / 6, index % 6)
            return scale * (0..<2).reduce(0.0) { $0 + Double(b[row * 2 + $1]) * Double(a[$1 * 6 + column]) }
        }
    }

    /// The best rank-2 approximation of a dense `[6, 6]` matrix and the relative error of it.
    static func truncatedDense(_ matrix: [Double]) throws -> (matrix: [Double], error: Double) {
        var s = [Double](repeating: 0, count: 6), u = [Double](repeating: 0, count: 36), vt = u
        try matrix.withUnsafeBufferPointer { m in
            try s.withUnsafeMutableBufferPointer { s in
                try u.withUnsafeMutableBufferPointer { u in
                    try vt.withUnsafeMutableBufferPointer { vt in
                        try LinearAlgebra.singularValueDecomposition(m, rows: 6, columns: 6, singularValues: s, vectors: (u, vt))
                    }
                }
            }
        }
        var result = [Double](repeating: 0, count: 36)
        for row in 0..<6 { for column in 0..<6 { for p in 0..<2 { result[row * 6 + column] += u[row * 6 + p] * s[p] * vt[p * 6 + column] } } }
        let dropped: Double = s[2...].map { $0 * $0 }.reduce(0, +), total: Double = s.map { $0 * $0 }.reduce(0, +)
        return (result, sqrt(dropped / total))
    }

    @Test func lowRankArithmeticMatchesDenseMatrices() throws {
        var random = SplitMix(seed: 5)
        let updates = (0..<3).map { _ in
            LowRankUpdate(b: (0..<14).map { _ in random.normal() }, a: (0..<18).map { _ in random.normal() }, scale: 2, rank: 2,
                          outputWidth: 7, inputWidth: 9)
        }
        let combined = LowRankUpdate.combination([(updates[0], 0.5), (updates[1], 0.3), (updates[2], 0.2)])
        let expected = (0..<63).map { 0.5 * updates[0].dense[$0] + 0.3 * updates[1].dense[$0] + 0.2 * updates[2].dense[$0] }
        assertClose(combined.dense, expected, rtol: 1e-12, atol: 1e-12)
        assertClose(combined.frobeniusNorm, sqrt(expected.reduce(0) { $0 + $1 * $1 }), rtol: 1e-10)
        let difference = zip(updates[0].dense, updates[1].dense).map { $0 - $1 }
        assertClose(updates[0].distance(to: updates[1]), sqrt(difference.reduce(0) { $0 + $1 * $1 }), rtol: 1e-10)
        // Rank 6 combined, truncated to 2: s B A is the dense best rank-2 approximation.
        let truncated = try combined.truncated(rank: 2, scale: 2)
        #expect(truncated.relativeError > 0.05 && truncated.relativeError < 1)
        var rebuilt = [Double](repeating: 0, count: 63)
        for row in 0..<7 { for column in 0..<9 { for p in 0..<2 {
            rebuilt[row * 9 + column] += 2 * Double(truncated.b[row * 2 + p]) * Double(truncated.a[p * 9 + column])
        } } }
        let residual = zip(rebuilt, expected).map { $0 - $1 }
        assertClose(sqrt(residual.reduce(0) { $0 + $1 * $1 }) / sqrt(expected.reduce(0) { $0 + $1 * $1 }), truncated.relativeError, rtol: 1e-5)
    }

    @Test func theClosestExpertsMergeIntoTheirTruncatedMean() throws {
        let (path, values) = try checkpoint()
        let adapter = try Checkpoint(path: path).adapter
        let result = try ExpertMerger.merge(adapter, target: .allocation([3])) { _, _ in nil }
        #expect(result.expertsPerLayer == [3])
        let report = try #require(result.layers.first?.projections[.query])
        #expect(report.groups == [[0, 2], [1], [3]])
        #expect(report.relativeErrors[1] == nil && report.relativeErrors[2] == nil)
        let entries = Dictionary(uniqueKeysWithValues: result.entries.map { ($0.name, $0.values) })
        // The merged expert: the mean of dW_0 and dW_2, truncated to rank 2 (dense SVD).
        let mean = zip(Self.dense(b: values["B0"]!, a: values["A0"]!), Self.dense(b: values["B2"]!, a: values["A2"]!)).map { ($0 + $1) / 2 }
        let (best, error) = try Self.truncatedDense(mean)
        assertClose(Self.dense(b: entries["\(Self.prefix).lora_B_0.weight"]!, a: entries["\(Self.prefix).lora_A_0.weight"]!), best,
                    rtol: 1e-4, atol: 1e-5)
        assertClose(report.relativeErrors[0]!, error, rtol: 1e-3, atol: 1e-9)
        // Kept experts are copied; the last one is renumbered 3 -> 2.
        #expect(entries["\(Self.prefix).lora_A_1.weight"] == values["A1"])
        #expect(entries["\(Self.prefix).lora_B_2.weight"] == values["B3"])
        // Router: rows 0 and 2 averaged, rows 1 and 3 kept.
        let router = entries["\(Self.prefix).router.router.weight"]!, rows = values["router"]!
        assertClose(router[0..<6].map(Double.init), (0..<6).map { Double((rows[$0] + rows[12 + $0]) / 2) }, rtol: 1e-6)
        assertClose(router[12..<18].map(Double.init), rows[18..<24].map(Double.init), rtol: 0)
    }

    @Test func usageWeightsTheMean() throws {
        let (path, values) = try checkpoint()
        let adapter = try Checkpoint(path: path).adapter
        let result = try ExpertMerger.merge(adapter, target: .allocation([3])) { _, _ in [3, 0, 1, 0] }
        let entries = Dictionary(uniqueKeysWithValues: result.entries.map { ($0.name, $0.values) })
        let mean = zip(Self.dense(b: values["B0"]!, a: values["A0"]!), Self.dense(b: values["B2"]!, a: values["A2"]!)).map { 0.75 * $0 + 0.25 * $1 }
        assertClose(Self.dense(b: entries["\(Self.prefix).lora_B_0.weight"]!, a: entries["\(Self.prefix).lora_A_0.weight"]!),
                    try Self.truncatedDense(mean).matrix, rtol: 1e-4, atol: 1e-5)
        let router = entries["\(Self.prefix).router.router.weight"]!, rows = values["router"]!
        assertClose(router[0..<6].map(Double.init), (0..<6).map { Double(0.75 * rows[$0] + 0.25 * rows[12 + $0]) }, rtol: 1e-6)
    }

    @Test func aThresholdMergesOnlyWhatIsCloser() throws {
        let adapter = try Checkpoint(path: try checkpoint().path).adapter
        // Experts 0 and 2 are about 1e-2 apart; the others are order 1 apart.
        #expect(try ExpertMerger.merge(adapter, target: .threshold(0.1)) { _, _ in nil }.expertsPerLayer == [3])
        #expect(try ExpertMerger.merge(adapter, target: .threshold(1e-9)) { _, _ in nil }.expertsPerLayer == [4])
        #expect(try ExpertMerger.merge(adapter, target: .threshold(1e9)) { _, _ in nil }.expertsPerLayer == [1])
    }

    @Test func aTargetTheCheckpointCannotMeetIsRefused() throws {
        let adapter = try Checkpoint(path: try checkpoint().path).adapter
        #expect(throws: AnalysisError.allocationExceedsCheckpoint(layer: 0, requested: 5, available: 4)) {
            try ExpertMerger.merge(adapter, target: .allocation([5])) { _, _ in nil }
        }
        #expect(throws: AnalysisError.allocationLayerCount(expected: 1, found: 2)) {
            try ExpertMerger.merge(adapter, target: .allocation([2, 2])) { _, _ in nil }
        }
    }

    @Test func redundancyAdviceGivesAlikeLayersFewerExperts() throws {
        // Layer 0: experts nudged copies of one (relative distance near 0); layer 1: unrelated.
        var random = SplitMix(seed: 4)
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        let shared = (0..<12).map { _ in Float(random.normal()) }
        for layer in 0..<2 {
            let prefix = "base_model.model.model.layers.\(layer).self_attn.q_proj"
            for expert in 0..<4 {
                let a = layer == 0 ? shared.map { $0 + Float(expert) * 1e-3 } : (0..<12).map { _ in Float(random.normal()) }
                tensors.append(("\(prefix).lora_A_\(expert).weight", [2, 6], a))
                tensors.append(("\(prefix).lora_B_\(expert).weight", [6, 2], layer == 0 ? [Float](repeating: 0.1, count: 12) : (0..<12).map { _ in Float(random.normal()) }))
            }
            tensors.append(("\(prefix).router.router.weight", [4, 6], (0..<24).map { _ in Float(random.normal()) }))
        }
        try scratch.write(safetensorsBytes(tensors: tensors), to: "advise/adapter_model.safetensors")
        try scratch.write(Array(#"{"peft_type": "LORA", "r": [2, 2], "lora_alpha": 16}"#.utf8), to: "advise/adapter_config.json")
        let adapter = try Checkpoint(path: scratch.path("advise")).adapter
        let report = try RedundancyAnalyzer.analyze(adapter, options: RedundancyOptions())
        let advice = try RedundancyAllocator.advise(report: report, expertsPerLayer: [4, 4], entropies: nil, source: "x", total: 8)
        #expect(advice.allocation == [1, 7] && advice.method == "redundancy")
        #expect(advice.layers[0].evidence.relativeDistance! < 0.01 && advice.layers[1].evidence.relativeDistance! > 0.5)
        // Routing entropy scales the weights: a collapsed router in layer 1 hands experts back to layer 0.
        let routed = try RedundancyAllocator.advise(report: report, expertsPerLayer: [4, 4], entropies: [1, 0], source: "x", total: 8)
        #expect(routed.allocation == [7, 1] && routed.method == "redundancy+routing")
    }
}
