import Foundation
import MoLATensor

/// `mola-benchmark --sgemm N`: the machine's Float32 matrix-product rate at a LLaMA-2-7B layer's
/// shapes, as the layer-by-layer routing pass calls them (`y = x W^T`, x [N, Cin], W [Cout, Cin]):
/// q, k, v, o (4096 -> 4096), gate and up (4096 -> 11008), down (11008 -> 4096).
///
/// ```
/// gflops = 2 N (4 C C + 3 C F) / seconds per layer / 1e9      C 4096, F 11008
/// ```
enum SgemmRate {
    static let shapes = [(4096, 4096), (4096, 4096), (4096, 4096), (4096, 4096), (4096, 11008), (4096, 11008), (11008, 4096)]

    /// Times `repeats` layers' products after one warm-up layer; returns the JSON line to print.
    static func run(rows: Int, threads: Int, repeats: Int = 3) -> String {
        LinearAlgebra.setBLASThreadCount(threads)
        let widest = 11008 * 4096
        let weights = UnsafeMutablePointer<Float>.allocate(capacity: widest)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: rows * 11008)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * 11008)
        defer { weights.deallocate(); x.deallocate(); y.deallocate() }
        var random = SplitMix(seed: 5)
        for i in 0..<widest { weights[i] = random.uniform(0.02) }
        for i in 0..<(rows * 11008) { x[i] = random.uniform(1) }
        func layer() {
            for (input, output) in shapes {
                LinearAlgebra.multiply(x, weights, transposeB: true, into: y, m: rows, n: output, k: input)
            }
        }
        layer()
        let start = Date()
        for _ in 0..<repeats { layer() }
        let seconds = Date().timeIntervalSince(start) / Double(repeats)
        let flops = 2.0 * Double(rows) * Double(shapes.reduce(0) { $0 + $1.0 * $1.1 })
        return "{\"sgemm_rows\": \(rows), \"threads\": \(threads), \"blas_kernel\": \"\(LinearAlgebra.blasKernelName)\", "
            + "\"sgemm_seconds_per_layer\": \((seconds * 1000).rounded() / 1000), \"sgemm_gflops\": \((flops / seconds / 1e7).rounded() / 100)}"
    }
}
