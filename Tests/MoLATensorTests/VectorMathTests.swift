// The vectorised exp against the libm one over a sweep of every 2048th Float in its range, and the
// row kernels against naive Double loops, on lengths that do and do not fill whole vectors.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLATensor

@Suite struct VectorMathTests {
    /// Every 2048th bit pattern between -87.3 (the smallest normal result) and 88.7: within 2 ulp.
    @Test func expIsWithinTwoUlpAcrossItsRange() {
        var inputs: [Float] = []
        for sign: UInt32 in [0, 0x8000_0000] {
            var bits: UInt32 = 0
            while case let x = Float(bitPattern: sign | bits), x <= 88.72, x >= -87.33 {
                inputs.append(x)
                bits += 2048
            }
        }
        inputs += [88.72, 88.5, 88.38, -87.33, -87.0]
        var worst = 0.0, worstInput: Float = 0
        for start in stride(from: 0, to: inputs.count, by: 8) {
            var vector = VectorMath.Vector(repeating: 0)
            for lane in 0..<min(8, inputs.count - start) { vector[lane] = inputs[start + lane] }
            let result = VectorMath.exp(vector)
            for lane in 0..<min(8, inputs.count - start) {
                let reference = Foundation.exp(Double(inputs[start + lane]))
                let error = abs(Double(result[lane]) - reference) / Double(Float(reference).ulp)
                if error > worst { (worst, worstInput) = (error, inputs[start + lane]) }
            }
        }
        #expect(worst <= 2, "worst error \(worst) ulp at \(worstInput)")
    }

    @Test func expKeepsSpecialValues() {
        let inputs: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 89, -88, 1, -1]
        var vector = VectorMath.Vector(repeating: 0)
        for (lane, input) in inputs.prefix(8).enumerated() { vector[lane] = input }
        let result = VectorMath.exp(vector)
        #expect(result[0] == 1 && result[1] == 1)
        #expect(result[2] == .infinity && result[3] == 0)
        #expect(result[4].isNaN)
        #expect(result[5] == .infinity, "e^89 overflows Float")
        #expect(result[6] == 0, "e^-88 is below the smallest normal Float: flushed to 0")
        #expect(abs(Double(result[7]) - M_E) < 3e-7)
        #expect(abs(VectorMath.exp(VectorMath.Vector(repeating: -1))[0] - Float(1 / M_E)) < 1e-7)
    }

    @Test func rowKernelsMatchNaiveLoops() {
        var random = SplitMix(seed: 7)
        for count in [0, 1, 7, 8, 9, 16, 37, 128] {
            let values = (0..<count).map { _ in random.uniform(6) }
            let up = (0..<count).map { _ in random.uniform(2) }
            values.withUnsafeBufferPointer { x in
                if count > 0 {
                    #expect(VectorMath.maximum(x.baseAddress!, count: count) == values.max()!)
                }
                let squares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
                assertClose(Double(VectorMath.sumOfSquares(x.baseAddress!, count: count)), squares, rtol: 1e-6, atol: 1e-6, "squares \(count)")
            }
            var row = values
            row.withUnsafeMutableBufferPointer { VectorMath.softmax($0.baseAddress!, count: count) }
            let maximum = values.map(Double.init).max() ?? 0
            let exponentials = values.map { Foundation.exp(Double($0) - maximum) }
            let total = exponentials.reduce(0, +)
            assertClose(row.map(Double.init), exponentials.map { $0 / total }, rtol: 1e-6, atol: 1e-7, "softmax \(count)")
            var out = [Float](repeating: 0, count: count)
            values.withUnsafeBufferPointer { gate in
                up.withUnsafeBufferPointer { up in
                    out.withUnsafeMutableBufferPointer { out in
                        guard count > 0 else { return }
                        VectorMath.siluProduct(gate: gate.baseAddress!, up: up.baseAddress!, out: out.baseAddress!, count: count)
                    }
                }
            }
            let silu = zip(values, up).map { Double($0) / (1 + Foundation.exp(-Double($0))) * Double($1) }
            assertClose(out.map(Double.init), silu, rtol: 1e-6, atol: 1e-7, "silu \(count)")
        }
    }

    /// Both arithmetics give the softmax; the scalar one is libm's exp in index order, bit for bit.
    /// Against a float64 loop, for short rows, tails, several 1,024-value blocks and a
    /// vocabulary-sized row with a wide range; infinities pass through.
    @Test func logSumExpMatchesAFloat64Loop() {
        var random = SplitMix(seed: 5)
        for count in [1, 3, 8, 9, 1023, 1024, 1031, 3000, 49_152] {
            let values = (0..<count).map { _ in Float(random.normal() * 8) }
            let maximum = Double(values.max()!)
            let expected = maximum + log(values.reduce(0.0) { $0 + exp(Double($1) - maximum) })
            let ours = values.withUnsafeBufferPointer { VectorMath.logSumExp($0.baseAddress!, count: count) }
            assertClose(ours, expected, rtol: 1e-6, atol: 1e-6, "count \(count)")
        }
        #expect([Float.infinity, 1].withUnsafeBufferPointer { VectorMath.logSumExp($0.baseAddress!, count: 2) } == .infinity)
        #expect([-Float.infinity, -.infinity].withUnsafeBufferPointer { VectorMath.logSumExp($0.baseAddress!, count: 2) } == -.infinity)
    }

    @Test func scalarAndLaneSoftmaxAgree() {
        var generator = SplitMix(seed: 11)
        for count in [1, 2, 5, 8, 13] {
            let values = (0..<count).map { _ in Float(generator.normal() * 3) }
            var lanes = values, scalar = values
            lanes.withUnsafeMutableBufferPointer { VectorMath.softmax($0.baseAddress!, count: count) }
            scalar.withUnsafeMutableBufferPointer { VectorMath.softmax($0.baseAddress!, count: count, arithmetic: .scalar) }
            let largest = values.max()!
            var naive = values.map { Foundation.exp($0 - largest) }
            var sum: Float = 0
            for value in naive { sum += value }
            naive = naive.map { $0 / sum }
            #expect(scalar == naive, "scalar softmax \(count)")
            assertClose(lanes.map(Double.init), scalar.map(Double.init), rtol: 1e-6, atol: 1e-7, "lanes against scalar \(count)")
        }
    }
}
