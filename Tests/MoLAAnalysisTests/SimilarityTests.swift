// The similarity metrics (cosine, subspace with its principal angles, router) and the spectrum
// against the naive dense float64 references (RedundancyAnalyzer+Naive.swift: Gram-Schmidt and
// one-sided Jacobi, no LAPACK) on seeded random adapters, rank-deficient and zero experts included.
import Foundation
import MoLATestSupport
import Testing
import MoLATensor
@testable import MoLAAnalysis
import MoLACheckpoint

@Suite final class SimilarityTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    /// One layer, q_proj (width -> width) and down_proj (mlpWidth -> width); `edit` may change the tensors.
    private func adapter(experts: Int, rank: Int, width: Int, mlpWidth: Int, seed: UInt64,
                         edit: (inout [(name: String, shape: [Int], values: [Float])]) -> Void = { _ in }) throws -> MoLAAdapter {
        var generator = SplitMix(seed: seed)
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for (name, inputWidth, outputWidth) in [("self_attn.q_proj", width, width), ("mlp.down_proj", mlpWidth, width)] {
            let prefix = "base_model.model.model.layers.0.\(name)"
            for expert in 0..<experts {
                tensors.append(("\(prefix).lora_A_\(expert).weight", [rank, inputWidth], (0..<(rank * inputWidth)).map { _ in Float(generator.normal()) }))
                tensors.append(("\(prefix).lora_B_\(expert).weight", [outputWidth, rank], (0..<(outputWidth * rank)).map { _ in Float(generator.normal() * 0.05) }))
            }
            tensors.append(("\(prefix).router.router.weight", [experts, inputWidth], (0..<(experts * inputWidth)).map { _ in Float(generator.normal()) }))
        }
        edit(&tensors)
        let path = try scratch.write(safetensorsBytes(tensors: tensors), to: "adapter_model.safetensors")
        return try MoLAAdapter(file: openTensorFile(path: path), config: AdapterConfig(alpha: 16))
    }

    private func compare(_ model: MoLAAdapter, metric: RedundancyMetric, side: SubspaceSide = .column, rtol: Double = 1e-9) throws {
        let options = RedundancyOptions(metric: metric, projections: Set(ProjectionKind.allCases), threadCount: 2, side: side)
        let report = try RedundancyAnalyzer.analyze(model, options: options)
        for projection in model.projections {
            let fast = report.layers[0].projections.first { $0.kind == projection.kind }!
            let naive = try RedundancyAnalyzer.naivePairs(projection, file: model.file, options: options)
            let context = "\(projection.label) \(metric) \(side)"
            #expect(fast.pairs.map { [$0.first, $0.second] } == naive.map { [$0.first, $0.second] }, "\(context)")
            assertClose(fast.pairs.map(\.distance), naive.map(\.value), rtol: rtol, atol: 1e-12, context)
            if metric == .subspace {
                #expect(fast.principalAngles.count == naive.count, "\(context)")
                for (ours, theirs) in zip(fast.principalAngles, naive.map(\.angles)) {
                    // acos near 0 amplifies rounding (d acos / dx ~ 1 / sin): compare cosines.
                    assertClose(ours.map(cos), theirs.map(cos), rtol: 0, atol: 1e-9, context)
                }
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func similaritiesMatchDenseOnRandomExperts(seed: UInt64) throws {
        let model = try adapter(experts: 4, rank: 3, width: 12, mlpWidth: 20, seed: seed)
        for metric in [RedundancyMetric.cosine, .router] { try compare(model, metric: metric) }
        for side in SubspaceSide.allCases { try compare(model, metric: .subspace, side: side) }
    }

    /// An expert whose B has two equal columns has rank r - 1: its basis has r - 1 columns and
    /// phi divides by the smaller rank.
    @Test func rankDeficientExpertsUseTheirNumericalRank() throws {
        let model = try adapter(experts: 3, rank: 4, width: 10, mlpWidth: 14, seed: 9) { tensors in
            let index = tensors.firstIndex { $0.name.hasSuffix("q_proj.lora_B_1.weight") }!
            let rows = tensors[index].shape[0]
            for row in 0..<rows { tensors[index].values[row * 4 + 3] = tensors[index].values[row * 4 + 2] }
        }
        for side in SubspaceSide.allCases { try compare(model, metric: .subspace, side: side) }
        let spectrum = try SpectrumAnalyzer.analyze(model, projections: [.query])
        let values = spectrum.layers[0].projections[0].experts[1].singularValues
        #expect(values[3] < 1e-10 * values[0], "\(values)")
    }

    @Test func identicalExpertsShareTheirSubspace() throws {
        let model = try adapter(experts: 3, rank: 4, width: 10, mlpWidth: 14, seed: 4) { tensors in
            for suffix in ["A", "B"] {
                let source = tensors.firstIndex { $0.name.hasSuffix("q_proj.lora_\(suffix)_0.weight") }!
                let copy = tensors.firstIndex { $0.name.hasSuffix("q_proj.lora_\(suffix)_2.weight") }!
                tensors[copy].values = tensors[source].values
            }
        }
        let report = try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(metric: .subspace, projections: [.query]))
        let projection = report.layers[0].projections[0]
        let pair = projection.pairs.firstIndex { $0.first == 0 && $0.second == 2 }!
        assertClose(projection.pairs[pair].distance, 1, rtol: 1e-12)
        #expect(projection.principalAngles[pair].allSatisfy { $0 < 1e-6 }, "\(projection.principalAngles[pair])")
        let cosine = try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(metric: .cosine, projections: [.query]))
        assertClose(cosine.layers[0].projections[0].pairs[pair].distance, 1, rtol: 1e-12)
    }

    @Test(arguments: [UInt64(5), 6])
    func spectrumMatchesDenseSingularValues(seed: UInt64) throws {
        let model = try adapter(experts: 3, rank: 4, width: 12, mlpWidth: 18, seed: seed)
        let report = try SpectrumAnalyzer.analyze(model, projections: Set(ProjectionKind.allCases), threadCount: 2)
        for projection in model.projections {
            let fast = report.layers[0].projections.first { $0.kind == projection.kind }!
            let naive = try RedundancyAnalyzer.naiveSingularValues(projection, file: model.file)
            for (ours, theirs) in zip(fast.experts, naive) {
                assertClose(ours.singularValues, theirs, rtol: 1e-9, atol: 1e-12, "\(projection.label) expert \(ours.expert)")
                let measures = try #require(ours.measures)
                let expected = try #require(SpectrumMeasures(singularValues: theirs))
                assertClose([measures.effectiveRank, measures.stableRank, measures.topShare],
                            [expected.effectiveRank, expected.stableRank, expected.topShare], rtol: 1e-9)
            }
        }
    }

    @Test func spectrumMeasuresOfKnownValues() throws {
        let equal = try #require(SpectrumMeasures(singularValues: [2, 2, 2, 2]))
        assertClose([equal.effectiveRank, equal.stableRank, equal.topShare], [4, 4, 0.25], rtol: 1e-12)
        let single = try #require(SpectrumMeasures(singularValues: [3, 0, 0]))
        assertClose([single.effectiveRank, single.stableRank, single.topShare], [1, 1, 1], rtol: 1e-12)
        #expect(SpectrumMeasures(singularValues: [0, 0]) == nil)
    }

    /// B all zero: dW = 0 has no direction, so cosine, subspace and the spectrum name it.
    @Test func zeroExpertsAreNamed() throws {
        let zeroB = "base_model.model.model.layers.0.self_attn.q_proj.lora_B_1.weight"
        let model = try adapter(experts: 3, rank: 2, width: 8, mlpWidth: 8, seed: 2) { tensors in
            let index = tensors.firstIndex { $0.name == zeroB }!
            tensors[index].values = tensors[index].values.map { _ in 0 }
        }
        for metric in [RedundancyMetric.cosine, .subspace] {
            #expect(throws: AnalysisError.zeroExperts(file: model.file.path, tensors: [zeroB], metric: metric == .cosine ? "cosine" : "the subspace similarity")) {
                try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(metric: metric, projections: [.query]))
            }
        }
        #expect(throws: AnalysisError.zeroExperts(file: model.file.path, tensors: [zeroB], metric: "the spectrum's measures")) {
            try SpectrumAnalyzer.analyze(model, projections: [.query])
        }
        let allowed = try SpectrumAnalyzer.analyze(model, projections: [.query], allowingZeroExperts: true)
        #expect(allowed.layers[0].projections[0].experts[1].measures == nil)
        // The distance is still defined.
        _ = try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(metric: .delta, projections: [.query]))
    }

    /// With `allowingUntrained`, cosine and subspace leave the zero expert out: its pairs NaN, the
    /// mean over the others, whose values are those of the same experts beside a trained one.
    @Test func untrainedExpertsCanBeLeftOut() throws {
        let zeroB = "base_model.model.model.layers.0.self_attn.q_proj.lora_B_1.weight"
        let metrics = [RedundancyMetric.cosine, .subspace]
        let options = metrics.map { RedundancyOptions(metric: $0, projections: [.query], allowingUntrained: true) }
        // Measured before the untrained twin is written over the same scratch file.
        let trained = try adapter(experts: 3, rank: 2, width: 8, mlpWidth: 8, seed: 2)
        let fullResults = try options.map { try RedundancyAnalyzer.analyze(trained, options: $0).layers[0].projections[0] }
        let untrained = try adapter(experts: 3, rank: 2, width: 8, mlpWidth: 8, seed: 2) { tensors in
            let index = tensors.firstIndex { $0.name == zeroB }!
            tensors[index].values = tensors[index].values.map { _ in 0 }
        }
        for (index, metric) in metrics.enumerated() {
            let left = try RedundancyAnalyzer.analyze(untrained, options: options[index]).layers[0].projections[0]
            let full = fullResults[index]
            #expect(left.untrainedExperts == [1] && full.untrainedExperts.isEmpty, "\(metric)")
            #expect(left.pairs.map { $0.distance.isNaN } == [true, false, true], "\(metric)")
            #expect(left.pairs[1].distance == full.pairs[1].distance, "\(metric)")
            #expect(left.mean == full.pairs[1].distance, "\(metric)")
            let document = RedundancyDocument(checkpoint: try Checkpoint(path: untrained.file.path),
                                              report: try RedundancyAnalyzer.analyze(untrained, options: options[index]), projectionSet: "q_proj")
            let projection = try #require(document.layers[0].projections[.query])
            #expect(projection.untrainedExperts == [1] && projection.mean == left.mean, "\(metric)")
        }
    }

    @Test func nonFiniteExpertsAreNamedBySubspaceAndSpectrum() throws {
        let poisoned = "base_model.model.model.layers.0.self_attn.q_proj.lora_A_2.weight"
        let model = try adapter(experts: 3, rank: 2, width: 8, mlpWidth: 8, seed: 2) { tensors in
            tensors[tensors.firstIndex { $0.name == poisoned }!].values[3] = .nan
        }
        #expect(throws: AnalysisError.nonFiniteValues(file: model.file.path, tensors: [poisoned])) {
            try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(metric: .subspace, projections: [.query]))
        }
        #expect(throws: AnalysisError.nonFiniteValues(file: model.file.path, tensors: [poisoned])) {
            try SpectrumAnalyzer.analyze(model, projections: [.query])
        }
    }

    @Test func lapackWrappersFactorAndDecompose() throws {
        // M column-major [3, 2] = [[1, 4], [2, 5], [3, 6]]: Q R = M, Q^T Q = I.
        var matrix: [Double] = [1, 2, 3, 4, 5, 6]
        var upper = [Double](repeating: 0, count: 4)
        try matrix.withUnsafeMutableBufferPointer { m in
            try upper.withUnsafeMutableBufferPointer { try LinearAlgebra.thinQR(m, rows: 3, columns: 2, upperTriangle: $0, formQ: true) }
        }
        for row in 0..<3 {
            for column in 0..<2 {
                let value = (0..<2).reduce(0.0) { $0 + matrix[$1 * 3 + row] * upper[$1 * 2 + column] }
                assertClose(value, Double(1 + row + 3 * column), rtol: 1e-12)
            }
        }
        #expect(upper[2] == 0)
        var values = [Double](repeating: 0, count: 2)
        let diagonal: [Double] = [0, 3, 4, 0]   // [[0, 3], [4, 0]]: singular values 4, 3
        try diagonal.withUnsafeBufferPointer { m in
            try values.withUnsafeMutableBufferPointer {
                try LinearAlgebra.singularValueDecomposition(m, rows: 2, columns: 2, singularValues: $0, vectors: nil)
            }
        }
        assertClose(values, [4, 3], rtol: 1e-12)
    }
}
