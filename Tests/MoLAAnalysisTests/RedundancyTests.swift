// The Gram path against the naive dense computation on seeded random adapters, including
// nearly equal and identical experts, and the handling of NaN.
import Foundation
import MoLATestSupport
import Testing
import MoLATensor
@testable import MoLAAnalysis
import MoLACheckpoint

@Suite final class RedundancyTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    typealias TensorList = [(name: String, shape: [Int], values: [Float])]

    /// A one-layer adapter on q_proj and down_proj whose experts are `base * (1 + relative * noise)`.
    private func adapter(experts: Int, rank: Int, width: Int, mlpWidth: Int, relative: Double?, seed: UInt64,
                         poison: String? = nil) throws -> MoLAAdapter {
        var generator = SplitMix(seed: seed)
        var tensors: TensorList = []
        for (name, inputWidth, outputWidth) in [("self_attn.q_proj", width, width), ("mlp.down_proj", mlpWidth, width)] {
            let baseA = (0..<(rank * inputWidth)).map { _ in generator.normal() / Double(inputWidth).squareRoot() }
            let baseB = (0..<(outputWidth * rank)).map { _ in generator.normal() * 0.05 }
            for expert in 0..<experts {
                func variant(_ base: [Double]) -> [Float] {
                    guard let relative else { return base.map { _ in Float(generator.normal() * 0.05) } }
                    return base.map { Float($0 * (1 + (expert == 0 ? 0 : relative) * generator.normal())) }
                }
                let prefix = "base_model.model.model.layers.0.\(name)"
                tensors.append(("\(prefix).lora_A_\(expert).weight", [rank, inputWidth], variant(baseA)))
                tensors.append(("\(prefix).lora_B_\(expert).weight", [outputWidth, rank], variant(baseB)))
            }
            tensors.append(("base_model.model.model.layers.0.\(name).router.router.weight", [experts, inputWidth],
                            Array(repeating: 0.01, count: experts * inputWidth)))
        }
        if let poison, let index = tensors.firstIndex(where: { $0.name == poison }) {
            tensors[index].values[1] = .nan
        }
        let path = try scratch.write(safetensorsBytes(tensors: tensors), to: "adapter_model.safetensors")
        return try MoLAAdapter(file: openTensorFile(path: path), config: AdapterConfig(alpha: 16))
    }

    private func compareWithNaive(_ model: MoLAAdapter, rtol: Double) throws {
        for metric in RedundancyMetric.allCases {
            for scaled in [true, false] {
                let options = RedundancyOptions(metric: metric, scaled: scaled, projections: Set(ProjectionKind.allCases), threadCount: 2)
                let report = try RedundancyAnalyzer.analyze(model, options: options)
                for projection in model.projections {
                    let fast = report.layers[0].projections.first { $0.kind == projection.kind }!
                    let naive = try RedundancyAnalyzer.naiveDistances(projection, file: model.file, options: options)
                    #expect(fast.pairs.map(\.first) == naive.map(\.first))
                    #expect(fast.pairs.map(\.second) == naive.map(\.second))
                    assertClose(fast.pairs.map(\.distance), naive.map(\.distance), rtol: rtol,
                                "\(projection.label) \(metric) scaled \(scaled)")
                }
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func gramPathMatchesDenseOnRandomExperts(seed: UInt64) throws {
        let model = try adapter(experts: 5, rank: 4, width: 24, mlpWidth: 40, relative: nil, seed: seed)
        try compareWithNaive(model, rtol: 1e-12)
    }

    /// Experts that differ by 1e-4 relative: the identity alone would lose most digits.
    @Test func nearlyEqualExpertsAgreeToOneInAMillion() throws {
        let model = try adapter(experts: 4, rank: 8, width: 64, mlpWidth: 96, relative: 1e-4, seed: 7)
        try compareWithNaive(model, rtol: 1e-6)
    }

    /// Closer still (a few float32 ulps apart): only the difference expansion keeps the digits.
    @Test(arguments: [1e-6, 1e-7])
    func extremelyCloseExpertsStayAccurate(relative: Double) throws {
        let model = try adapter(experts: 3, rank: 8, width: 256, mlpWidth: 384, relative: relative, seed: 11)
        try compareWithNaive(model, rtol: 1e-6)
    }

    @Test func identicalExpertsAreExactlyZeroApart() throws {
        let model = try adapter(experts: 3, rank: 4, width: 16, mlpWidth: 16, relative: 0, seed: 9)
        let report = try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(projections: Set(ProjectionKind.allCases)))
        for projection in report.layers[0].projections {
            #expect(projection.pairs.allSatisfy { $0.distance == 0 })
            #expect(projection.mean == 0)
        }
    }

    /// Copies and near copies mixed: the copies are grouped and given 0 without arithmetic, the
    /// near copies go down the difference path; both agree with the dense reference.
    @Test func copiesAndNearCopiesAmongManyExperts() throws {
        var generator = SplitMix(seed: 21)
        let (rank, width, experts) = (4, 32, 12)
        let baseA = (0..<(rank * width)).map { _ in Float(generator.normal()) }
        let baseB = (0..<(width * rank)).map { _ in Float(generator.normal() * 0.05) }
        var tensors: TensorList = []
        let prefix = "base_model.model.model.layers.0.self_attn.q_proj"
        for expert in 0..<experts {
            // Experts 0-5 are bitwise copies; 6-11 differ from them by about 1e-6 relative.
            func variant(_ base: [Float]) -> [Float] { expert < 6 ? base : base.map { $0 * (1 + 1e-6 * Float(generator.normal())) } }
            tensors.append(("\(prefix).lora_A_\(expert).weight", [rank, width], variant(baseA)))
            tensors.append(("\(prefix).lora_B_\(expert).weight", [width, rank], variant(baseB)))
        }
        tensors.append(("\(prefix).router.router.weight", [experts, width], Array(repeating: 0.01, count: experts * width)))
        let path = try scratch.write(safetensorsBytes(tensors: tensors), to: "copies.safetensors")
        let model = try MoLAAdapter(file: openTensorFile(path: path), config: AdapterConfig(alpha: 16))
        try compareWithNaive(model, rtol: 1e-6)
        let report = try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(projections: [.query]))
        let copies = report.layers[0].projections[0].pairs.filter { $0.second < 6 }
        #expect(copies.count == 15 && copies.allSatisfy { $0.distance == 0 })
    }

    @Test func identicalExpertsAreGroupedByTheValuesTheMetricCompares() {
        // Two experts of rank 1 over width 2: A equal, B different.
        let stackedA: [Double] = [1, 2, 1, 2]
        let sideBySideB: [Double] = [1, 5, 3, 3]  // B_0 = [1, 3]^T, B_1 = [5, 3]^T
        func groups(_ metric: RedundancyMetric) -> [Int] {
            stackedA.withUnsafeBufferPointer { a in
                sideBySideB.withUnsafeBufferPointer { b in
                    IdenticalExperts(experts: 2, rank: 1, inputWidth: 2, outputWidth: 2, metric: metric, stackedA: a, sideBySideB: b).group
                }
            }
        }
        #expect(groups(.a) == [0, 0])
        #expect(groups(.b) == [0, 1])
        #expect(groups(.delta) == [0, 1])
    }

    @Test func meansOverPairsAndProjections() throws {
        let model = try adapter(experts: 3, rank: 2, width: 8, mlpWidth: 12, relative: nil, seed: 4)
        let report = try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(projections: Set(ProjectionKind.allCases)))
        let layer = report.layers[0]
        let query = layer.projections.first { $0.kind == .query }!
        let down = layer.projections.first { $0.kind == .down }!
        #expect(query.pairs.count == 3)
        assertClose(query.mean!, query.pairs.map(\.distance).reduce(0, +) / 3, rtol: 1e-15)
        assertClose(layer.attentionMean!, query.mean!, rtol: 1e-15)
        assertClose(layer.mlpMean!, down.mean!, rtol: 1e-15)
        assertClose(layer.mean!, (query.mean! + down.mean!) / 2, rtol: 1e-15)
    }

    @Test func nonFiniteValuesAreReportedNotAveraged() throws {
        let poisoned = "base_model.model.model.layers.0.self_attn.q_proj.lora_B_1.weight"
        let model = try adapter(experts: 3, rank: 2, width: 8, mlpWidth: 8, relative: nil, seed: 5, poison: poisoned)
        let report = try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(projections: [.query]))
        #expect(report.nonFiniteTensors == [poisoned])
        let query = report.layers[0].projections[0]
        #expect(query.pairs.filter { $0.distance.isNaN }.map { [$0.first, $0.second] } == [[0, 1], [1, 2]])
        #expect(query.pairs.first { $0.first == 0 && $0.second == 2 }!.distance.isFinite)
        #expect(query.mean == nil)
        #expect(report.layers[0].mean == nil)
        // Metric a does not read B, so the poisoned B does not matter to it.
        let onlyA = try RedundancyAnalyzer.analyze(model, options: RedundancyOptions(metric: .a, projections: [.query]))
        #expect(onlyA.nonFiniteTensors.isEmpty)
        let scan = try FinitenessScan.scan(model)
        #expect(scan == [NonFiniteTensor(tensor: poisoned, nanCount: 1, infinityCount: 0)])
    }
}
