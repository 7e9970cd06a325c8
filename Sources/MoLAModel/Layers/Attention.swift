import Dispatch
import Foundation
import MoLATensor

/// Causal multi-head attention with grouped key/value heads.
///
/// ```
/// q is [B*T, H*D]   k, v are [B*T, Hk*D]   out is [B*T, H*D]   probabilities are [B, H, T, T]
/// head h reads key/value head h / (H / Hk)
/// S = q_h k_g^T / sqrt(D), masked above the diagonal;  P = softmax(S);  out_h = P v_g
/// ```
/// Each (batch, head) pair is independent: they run in parallel, each with BLAS products.
struct AttentionShape {
    let batch: Int
    let time: Int
    let heads: Int
    let keyValueHeads: Int
    let dimension: Int

    var queryWidth: Int { heads * dimension }
    var keyValueWidth: Int { keyValueHeads * dimension }
    var probabilityCount: Int { batch * heads * time * time }
    func group(of head: Int) -> Int { head / (heads / keyValueHeads) }
}

enum Attention {
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        probabilities: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                        shape: AttentionShape, threads: Int) {
        let (T, D) = (shape.time, shape.dimension)
        let scale = 1 / Float(D).squareRoot()
        // Each worker runs its heads' products itself: multithreaded BLAS calls from both workers
        // at once would wait on each other (and took two to five times as long).
        LinearAlgebra.withSingleThreadedBLAS(when: threads > 1) {
            parallel(shape.batch * shape.heads, threads: threads) { pair in
                let (b, h) = (pair / shape.heads, pair % shape.heads)
                let g = shape.group(of: h)
                let query = q + b * T * shape.queryWidth + h * D
                let key = k + b * T * shape.keyValueWidth + g * D
                let value = v + b * T * shape.keyValueWidth + g * D
                let p = probabilities + pair * T * T
                // Causal: row block [r0, r1) needs key columns [0, r1) only.
                for (r0, r1) in causalBlocks(T) {
                    LinearAlgebra.multiply(query + r0 * shape.queryWidth, leadingA: shape.queryWidth, key, transposeB: true,
                                           leadingB: shape.keyValueWidth, into: p + r0 * T, leadingC: T,
                                           m: r1 - r0, n: r1, k: D, alpha: scale)
                }
                // The products below read each row up to the end of its causal block: zero that far.
                for (r0, r1) in causalBlocks(T) {
                    for t in r0..<r1 {
                        let row = p + t * T
                        VectorMath.softmax(row, count: t + 1)
                        (row + t + 1).update(repeating: 0, count: r1 - t - 1)
                    }
                }
                let output = out + b * T * shape.queryWidth + h * D
                for (r0, r1) in causalBlocks(T) {
                    LinearAlgebra.multiply(p + r0 * T, leadingA: T, value, leadingB: shape.keyValueWidth,
                                           into: output + r0 * shape.queryWidth, leadingC: shape.queryWidth, m: r1 - r0, n: D, k: r1)
                }
            }
        }
    }

    /// Accumulates into dq, dk, dv (which must start at zero or hold earlier contributions).
    /// `scratch` holds `threads * T * T` floats.
    static func backward(_ dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         probabilities: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                         dv: UnsafeMutablePointer<Float>, shape: AttentionShape, threads: Int) {
        let (T, D) = (shape.time, shape.dimension)
        let scale = 1 / Float(D).squareRoot()
        // Query heads sharing a key/value head write to the same dk, dv: give each worker whole groups.
        let groupsPerBatch = shape.keyValueHeads
        let headsPerGroup = shape.heads / shape.keyValueHeads
        LinearAlgebra.withSingleThreadedBLAS(when: threads > 1) {
            parallel(shape.batch * groupsPerBatch, threads: threads) { unit in
                let (b, g) = (unit / groupsPerBatch, unit % groupsPerBatch)
                let dScores = UnsafeMutablePointer<Float>.allocate(capacity: T * T)
                defer { dScores.deallocate() }
                for h in (g * headsPerGroup)..<((g + 1) * headsPerGroup) {
                    let pair = b * shape.heads + h
                    let p = probabilities + pair * T * T
                    let gradient = dout + b * T * shape.queryWidth + h * D
                    let query = q + b * T * shape.queryWidth + h * D
                    let key = k + b * T * shape.keyValueWidth + g * D
                    let value = v + b * T * shape.keyValueWidth + g * D
                    let dValue = dv + b * T * shape.keyValueWidth + g * D
                    let dQuery = dq + b * T * shape.queryWidth + h * D
                    let dKey = dk + b * T * shape.keyValueWidth + g * D
                    // dP = dO V^T (row block r needs columns < r1);  dV += P^T dO (column block c needs rows >= c0)
                    for (r0, r1) in causalBlocks(T) {
                        LinearAlgebra.multiply(gradient + r0 * shape.queryWidth, leadingA: shape.queryWidth, value, transposeB: true,
                                               leadingB: shape.keyValueWidth, into: dScores + r0 * T, leadingC: T, m: r1 - r0, n: r1, k: D)
                        LinearAlgebra.multiply(p + r0 * T + r0, transposeA: true, leadingA: T, gradient + r0 * shape.queryWidth,
                                               leadingB: shape.queryWidth, into: dValue + r0 * shape.keyValueWidth,
                                               leadingC: shape.keyValueWidth, m: r1 - r0, n: D, k: T - r0, beta: 1)
                    }
                    // dS = P * (dP - rowsum(dP * P)), then scaled.
                    for t in 0..<T {
                        let pRow = p + t * T, dRow = dScores + t * T
                        var dot: Float = 0
                        for s in 0...t { dot += pRow[s] * dRow[s] }
                        for s in 0...t { dRow[s] = pRow[s] * (dRow[s] - dot) * scale }
                        for s in (t + 1)..<max(T, t + 1) { dRow[s] = 0 }
                    }
                    // dQ += dS K;  dK += dS^T Q
                    for (r0, r1) in causalBlocks(T) {
                        LinearAlgebra.multiply(dScores + r0 * T, leadingA: T, key, leadingB: shape.keyValueWidth,
                                               into: dQuery + r0 * shape.queryWidth, leadingC: shape.queryWidth, m: r1 - r0, n: D, k: r1, beta: 1)
                        LinearAlgebra.multiply(dScores + r0 * T + r0, transposeA: true, leadingA: T, query + r0 * shape.queryWidth,
                                               leadingB: shape.queryWidth, into: dKey + r0 * shape.keyValueWidth,
                                               leadingC: shape.keyValueWidth, m: r1 - r0, n: D, k: T - r0, beta: 1)
                    }
                }
            }
        }
    }

    /// Row blocks `[r0, r1)` of a causal T x T matrix: block r only meets columns below r1.
    static func causalBlocks(_ time: Int, size: Int = 32) -> [(Int, Int)] {
        stride(from: 0, to: time, by: size).map { ($0, min(time, $0 + size)) }
    }

    /// The naive reference: loops only, no BLAS, no parallelism.
    static func forwardReference(q: [Float], k: [Float], v: [Float], shape: AttentionShape) -> [Float] {
        let (T, D) = (shape.time, shape.dimension)
        var out = [Float](repeating: 0, count: shape.batch * T * shape.queryWidth)
        for b in 0..<shape.batch {
            for h in 0..<shape.heads {
                let g = shape.group(of: h)
                for t in 0..<T {
                    var scores = [Double](repeating: 0, count: t + 1)
                    for s in 0...t {
                        var dot = 0.0
                        for d in 0..<D {
                            dot += Double(q[(b * T + t) * shape.queryWidth + h * D + d]) * Double(k[(b * T + s) * shape.keyValueWidth + g * D + d])
                        }
                        scores[s] = dot / Double(D).squareRoot()
                    }
                    let maximum = scores.max()!
                    let weights = scores.map { Foundation.exp($0 - maximum) }
                    let sum = weights.reduce(0, +)
                    for d in 0..<D {
                        var total = 0.0
                        for s in 0...t { total += weights[s] / sum * Double(v[(b * T + s) * shape.keyValueWidth + g * D + d]) }
                        out[(b * T + t) * shape.queryWidth + h * D + d] = Float(total)
                    }
                }
            }
        }
        return out
    }
}

/// Runs `body(0..<count)` on up to `threads` workers.
func parallel(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    guard threads > 1, count > 1 else {
        for index in 0..<count { body(index) }
        return
    }
    let workers = min(threads, count)
    // The body writes disjoint parts of shared buffers, which the type system cannot see.
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(value: body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < count {
                shared.value(index)
                index += workers
            }
        }
    }
}

/// Hands a value to concurrent workers that only read it or write disjoint memory through it.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
