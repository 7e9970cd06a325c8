// The Hungarian algorithm against brute force over every permutation of small random matrices,
// cross-checkpoint distances against the dense float64 reference, and a checkpoint diffed with
// a copy of itself whose experts are permuted: that permutation and zero drift.
import Foundation
import MoLATestSupport
import Testing
import MoLATensor
@testable import MoLAAnalysis
import MoLACheckpoint

@Suite final class DiffTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private static func permutations(_ n: Int) -> [[Int]] {
        guard n > 0 else { return [[]] }
        return permutations(n - 1).flatMap { rest in (0...rest.count).map { position in
            var next = rest
            next.insert(n - 1, at: position)
            return next
        } }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func hungarianFindsTheLeastCostOfBruteForce(seed: UInt64) {
        var generator = SplitMix(seed: seed)
        for n in 1...7 {
            // Integer costs in a small range make ties, the hard case.
            let cost = (0..<(n * n)).map { _ in seed % 2 == 0 ? generator.normal() : Double(Int(abs(generator.normal()) * 3)) }
            let best = Self.permutations(n).map { permutation in permutation.indices.reduce(0.0) { $0 + cost[$1 * n + permutation[$1]] } }.min()!
            let assignment = Hungarian.assignment(cost, size: n)
            #expect(Set(assignment) == Set(0..<n), "n \(n): \(assignment) is not a permutation")
            let total = assignment.indices.reduce(0.0) { $0 + cost[$1 * n + assignment[$1]] }
            assertClose(total, best, rtol: 1e-12, atol: 1e-12, "n \(n) seed \(seed)")
        }
    }

    @Test func hungarianRecoversAPlantedPermutation() {
        var generator = SplitMix(seed: 11)
        let n = 40
        let planted = (0..<n).shuffled(using: &generator)
        let cost = (0..<(n * n)).map { index in planted[index / n] == index % n ? 0 : 1 + abs(generator.normal()) }
        #expect(Hungarian.assignment(cost, size: n) == planted)
    }

    private typealias TensorList = [(name: String, shape: [Int], values: [Float])]

    private func tensors(experts: Int, seed: UInt64) -> TensorList {
        var generator = SplitMix(seed: seed)
        var tensors: TensorList = []
        for layer in 0..<2 {
            for (name, inputWidth, outputWidth) in [("self_attn.q_proj", 10, 10), ("mlp.down_proj", 16, 10)] {
                let prefix = "base_model.model.model.layers.\(layer).\(name)"
                for expert in 0..<experts {
                    tensors.append(("\(prefix).lora_A_\(expert).weight", [3, inputWidth], (0..<(3 * inputWidth)).map { _ in Float(generator.normal()) }))
                    tensors.append(("\(prefix).lora_B_\(expert).weight", [outputWidth, 3], (0..<(outputWidth * 3)).map { _ in Float(generator.normal() * 0.1) }))
                }
                tensors.append(("\(prefix).router.router.weight", [experts, inputWidth], (0..<(experts * inputWidth)).map { _ in Float(generator.normal()) }))
            }
        }
        return tensors
    }

    private func adapter(_ tensors: TensorList, _ name: String) throws -> MoLAAdapter {
        let path = try scratch.write(safetensorsBytes(tensors: tensors), to: "\(name).safetensors")
        return try MoLAAdapter(file: openTensorFile(path: path), config: AdapterConfig(alpha: 16))
    }

    /// Renames expert `e` to `permutation[e]` everywhere (A and B); routers are left alone.
    private func permuted(_ tensors: TensorList, _ permutation: [Int]) -> TensorList {
        tensors.map { tensor in
            var tensor = tensor
            for letter in ["A", "B"] {
                if let range = tensor.name.range(of: #"lora_\#(letter)_\d+"#, options: .regularExpression) {
                    let expert = Int(tensor.name[range].split(separator: "_").last!)!
                    tensor.name.replaceSubrange(range, with: "lora_\(letter)_\(permutation[expert])")
                }
            }
            return tensor
        }
    }

    @Test func aPermutedCopyYieldsThePermutationAndZeroDrift() throws {
        let original = tensors(experts: 6, seed: 3)
        let permutation = [3, 0, 5, 1, 4, 2]
        let first = try adapter(original, "a"), second = try adapter(permuted(original, permutation), "b")
        let report = try CheckpointDiff.analyze(first, second, projections: Set(ProjectionKind.allCases), threadCount: 2)
        #expect(report.layers.count == 2)
        for projection in report.layers.flatMap(\.projections) {
            // B's expert permutation[e] is A's expert e.
            for expert in 0..<6 { #expect(projection.permutation[permutation[expert]] == expert, "\(projection.permutation)") }
            #expect(projection.distances.allSatisfy { $0 == 0 }, "\(projection.distances)")
            #expect(projection.relative.allSatisfy { $0 == 0 })
        }
    }

    @Test func crossDistancesMatchDense() throws {
        let first = try adapter(tensors(experts: 4, seed: 5), "a"), second = try adapter(tensors(experts: 4, seed: 6), "b")
        for (a, b) in zip(first.projections, second.projections) {
            let (distances, norms) = try CheckpointDiff.crossDistances(a, first.file, b, second.file, workspace: Workspace())
            let dense = { (projection: ProjectionAdapter, file: any TensorFile, expert: Int) throws -> [Double] in
                NaiveMatrix.product(try file.record(named: projection.experts[expert].b).doubles(), try file.record(named: projection.experts[expert].a).doubles(),
                                    rows: projection.outputWidth, inner: projection.rank, columns: projection.inputWidth, scale: projection.scale)
            }
            for i in 0..<4 {
                for j in 0..<4 {
                    let (x, y) = (try dense(b, second.file, i), try dense(a, first.file, j))
                    let expected = zip(x, y).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
                    assertClose(distances[i * 4 + j], expected, rtol: 1e-9, "\(a.label) \(i) \(j)")
                }
                assertClose(norms[i], try dense(a, first.file, i).reduce(0.0) { $0 + $1 * $1 }.squareRoot(), rtol: 1e-9)
            }
        }
    }

    @Test func differentShapesNameTheDifference() throws {
        let first = try adapter(tensors(experts: 4, seed: 5), "a"), second = try adapter(tensors(experts: 3, seed: 6), "b")
        #expect(throws: AnalysisError.shapesDiffer(first: first.file.path, second: second.file.path,
                                                   difference: "layer 0 q_proj has 4 experts in the first, 3 in the second")) {
            try CheckpointDiff.analyze(first, second, projections: Set(ProjectionKind.allCases))
        }
    }
}
