// AlphaLoRA's allocation against its authors' code: golden values from
// Tests/Fixtures/generate_alphalora_golden.py, which runs their expert_number.py (fix_finger,
// calculate_expert, exponential_scaling) on the generated 4-layer base in Tests/Fixtures/alphalora/base
// (F16 weights, so both sides read the same values). The corrected window's golden values are that
// script's own float64 numpy fit. The eigenvalues are checked against a second LAPACK path (SVD).
import Foundation
import MoLATestSupport
import Testing
import MoLAAnalysis
import MoLACheckpoint
import MoLATensor

@Suite struct AlphaLoRATests {
    static let base = Fixtures.path("alphalora/base/model.safetensors")
    static let names = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    /// The base's seven matrices of `layer`, as `AlphaLoRAAllocator` takes them.
    static func matrices(_ file: any TensorFile, layer: Int) throws -> [AlphaLoRAAllocator.Matrix] {
        try names.map { projection in
            let kind = ProjectionKind(checkpointName: projection)!
            let name = "model.layers.\(layer).\(kind.blockName).\(projection).weight"
            let record = try file.record(named: name)
            return AlphaLoRAAllocator.Matrix(kind: kind, name: name, rows: record.shape[0], columns: record.shape[1],
                                             values: try record.doubles().map(Float.init))
        }
    }

    static func golden() throws -> [String: Any] { try Fixtures.golden("alphalora") }

    @Test(arguments: PowerLawWindow.allCases)
    func everyMatrixAlphaMatchesTheReference(window: PowerLawWindow) throws {
        let file = try openTensorFile(path: Self.base)
        let fits = try AlphaLoRAAllocator.fits(layerCount: 4, window: window) { try Self.matrices(file, layer: $0) }
        let key = window == .reference ? "matrix_alphas" : "corrected_matrix_alphas"
        let expected = try Self.golden()[key] as! [[String: Double]]
        for layer in 0..<4 {
            let kinds = Self.names.map { ProjectionKind(checkpointName: $0)! }
            // Theirs is float32 torch (svdvals, log, sums); ours float64.
            assertClose(kinds.map { fits[layer][$0]!.alpha }, Self.names.map { expected[layer][$0]! }, rtol: 1e-4,
                        "layer \(layer) \(window)")
        }
    }

    @Test func allocationsMatchTheReferenceScript() throws {
        let golden = try Self.golden()
        let file = try openTensorFile(path: Self.base)
        let fits = try AlphaLoRAAllocator.fits(layerCount: 4, window: .reference) { try Self.matrices(file, layer: $0) }
        for case let allocation as [String: Any] in golden["allocations"] as! [Any] {
            let total = allocation["total"] as! Int, beta = allocation["beta"] as! Double
            let advice = try AlphaLoRAAllocator.advise(fits: fits, source: "base", total: total, beta: beta, window: .reference,
                                                       rounding: .reference)
            #expect(advice.allocation == allocation["experts"] as? [Int], "total \(total) beta \(beta)")
            assertClose(advice.layers.map { $0.evidence.alpha! }, golden["layer_alphas"] as! [Double], rtol: 1e-4)
            #expect(advice.referenceArgument == "--number_experts " + (allocation["experts"] as! [Int]).map(String.init).joined(separator: ","))
        }
    }

    @Test func referenceRoundingMatchesExponentialScaling() throws {
        for case let rounding as [String: Any] in try Self.golden()["roundings"] as! [Any] {
            let values = rounding["values"] as! [Double], total = rounding["total"] as! Int
            #expect(try ExpertApportionment.reference.apportion(values, total: total) == rounding["experts"] as? [Int])
        }
    }

    @Test func largestRemainderGivesEveryLayerOneAndTheQuotasRest() throws {
        // Quotas of the 7 left: 3.5, 2.1, 1.4 -> floors 3, 2, 1 and the one left to the largest remainder (0.5).
        #expect(try ExpertApportionment.largestRemainder.apportion([5, 3, 2], total: 10) == [5, 3, 2])
        #expect(try ExpertApportionment.largestRemainder.apportion([0, 0, 1], total: 5) == [1, 1, 3])
        #expect(try ExpertApportionment.largestRemainder.apportion([0, 0], total: 3) == [2, 1])
        // Many random cases: the total is kept, nobody is left out, counts follow the weights.
        var random = SplitMix(seed: 3)
        for _ in 0..<200 {
            let weights = (0..<Int.random(in: 1...12, using: &random)).map { _ in Double.random(in: 0...5, using: &random) }
            let total = weights.count + Int.random(in: 0...40, using: &random)
            let counts = try ExpertApportionment.largestRemainder.apportion(weights, total: total)
            #expect(counts.reduce(0, +) == total && counts.allSatisfy { $0 >= 1 })
            for i in weights.indices { for j in weights.indices where weights[i] > weights[j] { #expect(counts[i] >= counts[j]) } }
        }
    }

    @Test func eigenvaluesAreTheSquaredSingularValues() throws {
        var random = SplitMix(seed: 9)
        for (rows, columns) in [(40, 33), (33, 40), (36, 36)] {
            let values = (0..<(rows * columns)).map { _ in Float.random(in: -1...1, using: &random) }
            let eigenvalues = try PowerLawFit.eigenvalues(of: values, rows: rows, columns: columns)
            var singular = [Double](repeating: 0, count: min(rows, columns))
            let wide = values.map(Double.init)
            try wide.withUnsafeBufferPointer { matrix in
                try singular.withUnsafeMutableBufferPointer {
                    try LinearAlgebra.singularValueDecomposition(matrix, rows: rows, columns: columns, singularValues: $0, vectors: nil)
                }
            }
            assertClose(eigenvalues, singular.map { $0 * $0 }.reversed(), rtol: 1e-9, atol: 1e-12, "[\(rows), \(columns)]")
        }
    }

    /// The fit written the slow way: every candidate's Hill sum and KS distance from scratch.
    static func naiveAlpha(_ unsorted: [Double], window: PowerLawWindow) -> Double {
        let eigenvalues = unsorted.sorted(), count = eigenvalues.count
        let peak = PowerLawFit.histogramPeak(eigenvalues)
        let lower = window == .reference ? log10(0.95 * peak) : 0.95 * peak
        var best = (distance: 1.0, alpha: 0.0, index: Int.max)
        var first: Double?
        for i in 0..<(count - 1) where eigenvalues[i] >= lower && eigenvalues[i] <= 1.5 * peak {
            let n = Double(count - i)
            var logSum = 0.0
            for k in i..<count { logSum += log(eigenvalues[k]) }
            let alpha = 1 + n / (logSum - n * log(eigenvalues[i]))
            if i == 0 { first = alpha }
            guard alpha > 1 else { continue }
            var distance = 0.0
            for k in i..<count {
                distance = max(distance, abs(1 - pow(eigenvalues[k] / eigenvalues[i], 1 - alpha) - Double(k - i) / n))
            }
            if distance < best.distance { best = (distance, alpha, i) }
        }
        // No candidate below distance 1: the reference takes candidate 0's alpha (0 when outside the window).
        return best.index == Int.max ? (first ?? 0) : best.alpha
    }

    @Test(arguments: PowerLawWindow.allCases)
    func theFitMatchesTheNaiveLoops(window: PowerLawWindow) {
        var random = SplitMix(seed: 11)
        var differs = false
        for trial in 0..<20 {
            // Pareto-tailed eigenvalues with a bulk below: tail exponents from 1.5 to 5.
            let tail = 1.5 + Double(trial % 8) * 0.5
            let eigenvalues = (0..<(40 + trial * 7)).map { _ in
                Double.random(in: 0...1, using: &random) < 0.7 ? Double.random(in: 0.5...1.5, using: &random)
                    : pow(Double.random(in: 1e-6...1, using: &random), -1 / (tail - 1))
            }
            let fit = PowerLawFit(eigenvalues: eigenvalues, window: window)
            assertClose(fit.alpha, Self.naiveAlpha(eigenvalues, window: window), rtol: 1e-10, "trial \(trial) \(window)")
            differs = differs || abs(PowerLawFit(eigenvalues: eigenvalues, window: .reference).alpha
                                     - PowerLawFit(eigenvalues: eigenvalues, window: .corrected).alpha) > 1e-6
        }
        #expect(differs, "the two windows never chose differently")
    }

    @Test func aMatrixTooSmallIsRefusedNotFitted() throws {
        let small = AlphaLoRAAllocator.Matrix(kind: .key, name: "model.layers.0.self_attn.k_proj.weight", rows: 16, columns: 32,
                                              values: [Float](repeating: 1, count: 16 * 32))
        #expect(throws: AnalysisError.matrixTooSmallForPowerLaw(tensor: small.name, rows: 16, columns: 32,
                                                                minimum: PowerLawFit.minimumEigenvalueCount)) {
            try AlphaLoRAAllocator.fits(layerCount: 1, window: .reference) { _ in [small] }
        }
    }

    @Test func aRankDeficientMatrixIsRefused() throws {
        // Rank one: 31 of 32 eigenvalues are zero (or rounding noise of either sign).
        let rankOne = AlphaLoRAAllocator.Matrix(kind: .query, name: "q", rows: 32, columns: 32,
                                                values: (0..<1024).map { (index: Int) -> Float in Float(index / 32 + 1) * Float(index % 32 + 1) })
        #expect {
            try AlphaLoRAAllocator.fits(layerCount: 1, window: .reference) { _ in [rankOne] }
        } throws: { error in
            guard case let AnalysisError.nonPositiveEigenvalues(tensor, count)? = error as? AnalysisError else { return false }
            return tensor == "q" && count > 0
        }
    }

    @Test func aTotalBelowTheLayerCountIsRefused() {
        #expect(throws: AnalysisError.totalBelowLayerCount(total: 3, layers: 4)) {
            try ExpertApportionment.largestRemainder.apportion([1, 1, 1, 1], total: 3)
        }
        #expect(throws: AnalysisError.totalBelowLayerCount(total: 3, layers: 4)) {
            try ExpertApportionment.reference.apportion([1, 1, 1, 1], total: 3)
        }
    }

    @Test func theReferenceRoundingMayLeaveALayerEmpty() {
        // Quotas 0.19, 1.90, 1.90 round to 0, 2, 2, which already sum to 4.
        #expect(throws: AnalysisError.layerWithoutExperts(layer: 0, experts: 0, total: 4)) {
            try ExpertApportionment.reference.apportion([0.1, 1, 1], total: 4)
        }
        #expect(throws: AnalysisError.invalidLayerWeight(layer: 1, weight: -1)) {
            try ExpertApportionment.reference.apportion([1, -1], total: 5)
        }
    }
}
