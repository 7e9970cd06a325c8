// Each layer's backward against central finite differences of its forward, and the fast
// attention against its naive reference.
import Foundation
import MoLATestSupport
import MoLATensor
import Testing
@testable import MoLAModel

@Suite struct LayerGradientTests {
    /// Checks `backward` (which must accumulate dL/dinput into its second argument for
    /// L = sum(weights * forward(input))) against finite differences at every input element.
    static func check(inputCount: Int, outputCount: Int, seed: UInt64, _ context: String,
                      forward: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
                      backward: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        var random = SplitMix(seed: seed)
        var input = (0..<inputCount).map { _ in random.uniform(1) }
        let weights = (0..<outputCount).map { _ in random.uniform(1) }
        var output = [Float](repeating: 0, count: outputCount)
        var analytic = [Float](repeating: 0, count: inputCount)
        input.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                analytic.withUnsafeMutableBufferPointer { backward(w.baseAddress!, x.baseAddress!, $0.baseAddress!) }
            }
        }
        func loss(_ input: [Float]) -> Double {
            input.withUnsafeBufferPointer { x in output.withUnsafeMutableBufferPointer { forward(x.baseAddress!, $0.baseAddress!) } }
            return zip(output, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var numeric = [Double](repeating: 0, count: inputCount)
        for i in 0..<inputCount {
            let original = input[i]
            input[i] = original + 1e-2; let plus = loss(input)
            input[i] = original - 1e-2; let minus = loss(input)
            input[i] = original
            numeric[i] = (plus - minus) / 2e-2
        }
        assertClose(analytic.map(Double.init), numeric, rtol: 2e-2, atol: 2e-3, context)
    }

    @Test func rmsNorm() {
        let (n, c) = (3, 8)
        let weight = (0..<c).map { 0.5 + Float($0) * 0.1 }
        var rstd = [Float](repeating: 0, count: n)
        Self.check(inputCount: n * c, outputCount: n * c, seed: 1, "RMSNorm", forward: { x, out in
            RMSNorm.forward(x, weight: weight, out: out, rstd: &rstd, count: n, channels: c, epsilon: 1e-6)
        }, backward: { dout, x, dx in
            var out = [Float](repeating: 0, count: n * c)
            RMSNorm.forward(x, weight: weight, out: &out, rstd: &rstd, count: n, channels: c, epsilon: 1e-6)
            RMSNorm.backward(dout, x: x, weight: weight, rstd: rstd, dx: dx, dWeight: nil, count: n, channels: c)
        })
    }

    @Test func swiGLU() {
        let n = 12
        Self.check(inputCount: 2 * n, outputCount: n, seed: 2, "SwiGLU", forward: { x, out in
            SwiGLU.forward(gate: x, up: x + n, out: out, count: n)
        }, backward: { dout, x, dx in
            SwiGLU.backward(dout, gate: x, up: x + n, dGate: dx, dUp: dx + n, count: n)
        })
    }

    @Test func swiGLUBackwardMatchesTheNaiveReference() {
        // 45 values: five vectors of eight and a tail of five.
        let n = 45
        var random = SplitMix(seed: 4)
        let dout = (0..<n).map { _ in random.uniform(1) }, gate = (0..<n).map { _ in random.uniform(8) }
        let up = (0..<n).map { _ in random.uniform(1) }
        var fast = [Float](repeating: 0, count: 2 * n), naive = fast
        fast.withUnsafeMutableBufferPointer { SwiGLU.backward(dout, gate: gate, up: up, dGate: $0.baseAddress!, dUp: $0.baseAddress! + n, count: n) }
        naive.withUnsafeMutableBufferPointer {
            SwiGLU.backwardReference(dout, gate: gate, up: up, dGate: $0.baseAddress!, dUp: $0.baseAddress! + n, count: n)
        }
        assertClose(fast.map(Double.init), naive.map(Double.init), rtol: 1e-5, atol: 1e-6, "SwiGLU backward")
    }

    @Test func rotaryIsInvertedByItsBackward() {
        let table = RotaryTable(length: 4, dimension: 8, theta: 10_000)
        Self.check(inputCount: 2 * 4 * 16, outputCount: 2 * 4 * 16, seed: 3, "RoPE", forward: { x, out in
            out.update(from: x, count: 2 * 4 * 16)
            table.apply(out, batch: 2, time: 4, heads: 2, inverse: false)
        }, backward: { dout, _, dx in
            var gradient = Array(UnsafeBufferPointer(start: dout, count: 2 * 4 * 16))
            gradient.withUnsafeMutableBufferPointer { table.apply($0.baseAddress!, batch: 2, time: 4, heads: 2, inverse: true) }
            for i in 0..<gradient.count { dx[i] += gradient[i] }
        })
    }

    @Test func attention() {
        let shape = AttentionShape(batch: 2, time: 5, heads: 4, keyValueHeads: 2, dimension: 4)
        let (qCount, kvCount) = (2 * 5 * shape.queryWidth, 2 * 5 * shape.keyValueWidth)
        var probabilities = [Float](repeating: 0, count: shape.probabilityCount)
        Self.check(inputCount: qCount + 2 * kvCount, outputCount: qCount, seed: 4, "attention", forward: { x, out in
            Attention.forward(q: x, k: x + qCount, v: x + qCount + kvCount, probabilities: &probabilities, out: out, shape: shape, threads: 2)
        }, backward: { dout, x, dx in
            var out = [Float](repeating: 0, count: qCount)
            Attention.forward(q: x, k: x + qCount, v: x + qCount + kvCount, probabilities: &probabilities, out: &out, shape: shape, threads: 2)
            Attention.backward(dout, q: x, k: x + qCount, v: x + qCount + kvCount, probabilities: probabilities,
                               dq: dx, dk: dx + qCount, dv: dx + qCount + kvCount, shape: shape, threads: 2)
        })
    }

    @Test func fastAttentionMatchesTheNaiveReference() {
        let shape = AttentionShape(batch: 2, time: 7, heads: 6, keyValueHeads: 3, dimension: 8)
        var random = SplitMix(seed: 5)
        let q = (0..<(14 * shape.queryWidth)).map { _ in random.uniform(1) }
        let k = (0..<(14 * shape.keyValueWidth)).map { _ in random.uniform(1) }
        let v = (0..<(14 * shape.keyValueWidth)).map { _ in random.uniform(1) }
        var out = [Float](repeating: 0, count: q.count)
        var probabilities = [Float](repeating: 0, count: shape.probabilityCount)
        Attention.forward(q: q, k: k, v: v, probabilities: &probabilities, out: &out, shape: shape, threads: 2)
        assertClose(out.map(Double.init), Attention.forwardReference(q: q, k: k, v: v, shape: shape).map(Double.init),
                    rtol: 1e-5, atol: 1e-6, "attention")
    }

    @Test func crossEntropyIgnoresNegativeTargets() {
        let logits: [Float] = [1, 2, 3, 0.5, 0.5, 0.5, 9, 9, 9]
        var gradient = [Float](repeating: 0, count: 9)
        let loss = CrossEntropy.forwardBackward(logits: logits, targets: [2, -1, 0], vocabulary: 3, dLogits: &gradient, normaliser: 2)
        let first = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3, third = log(3.0)
        assertClose(loss, (first + third) / 2, rtol: 1e-6)
        #expect(gradient[3...5].allSatisfy { $0 == 0 })
        assertClose(Double(gradient.reduce(0, +)), 0, atol: 1e-6)
    }
}
