import Foundation

/// The products of `QuantizedMatrix` over raw blocks: each block's codes widened to Float in a
/// 32-value scratch (a plain loop, which the compiler turns into widening vector instructions;
/// element-wise SIMD construction and the standard library's generic vector conversions do not),
/// then multiplied eight lanes at a time and added without fused multiply-adds (which compile to
/// a library call per lane on processors the baseline x86-64 target cannot assume have them).
enum QuantizedKernels {
    typealias Lanes = SIMD8<Float>

    /// The sum of the 32 values at `x`.
    @inline(__always)
    static func blockSum(_ x: UnsafePointer<Float>) -> Float {
        let raw = UnsafeRawPointer(x)
        let lanes = raw.loadUnaligned(as: Lanes.self) + raw.loadUnaligned(fromByteOffset: 32, as: Lanes.self)
            + raw.loadUnaligned(fromByteOffset: 64, as: Lanes.self) + raw.loadUnaligned(fromByteOffset: 96, as: Lanes.self)
        return lanes.sum()
    }

    /// `y[r] = row r . x` for every row, the rows split into `threads` runs.
    static func multiplyRows(_ matrix: QuantizedMatrix, _ storage: UnsafeRawPointer, x: UnsafePointer<Float>,
                             blockSums: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let rows = matrix.rows, rowBytes = matrix.blocksPerRow * matrix.blockBytes
        let blocks = matrix.blocksPerRow, codes = matrix.codes
        let shared = SharedPointers(storage: storage, x: x, blockSums: blockSums, y: y)
        let run = { @Sendable (first: Int, last: Int) in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: QuantizedMatrix.blockSize)
            defer { scratch.deallocate() }
            for row in first..<last {
                let source = shared.storage + row * rowBytes
                switch codes {
                case .fourBit(let bias):
                    shared.y[row] = dotRow(source, blocks: blocks, codeBytes: 16, bias: Float(bias), x: shared.x,
                                           blockSums: shared.blockSums, scratch: scratch, widen: widenNibbles)
                case .eightBit:
                    shared.y[row] = dotRow(source, blocks: blocks, codeBytes: 32, bias: 0, x: shared.x,
                                           blockSums: shared.blockSums, scratch: scratch, widen: widenBytes)
                }
            }
        }
        guard threads > 1 else { return run(0, rows) }
        // Each worker writes its own rows of y: disjoint memory.
        SpinningWorkers.pool(threads: threads).run(parts: threads) { worker in
            run(rows * worker / threads, rows * (worker + 1) / threads)
        }
    }

    private struct SharedPointers: @unchecked Sendable {
        let storage: UnsafeRawPointer
        let x: UnsafePointer<Float>
        let blockSums: UnsafePointer<Float>
        let y: UnsafeMutablePointer<Float>
    }

    /// One row of blocks: `sum_b scale_b (sum_j code_j x_j) + (offset_b - scale_b bias) S_b`, each
    /// block's codes widened into `scratch` by `widen`.
    @inline(__always)
    static func dotRow(_ row: UnsafeRawPointer, blocks: Int, codeBytes: Int, bias: Float, x: UnsafePointer<Float>,
                       blockSums: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                       widen: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) -> Float {
        var accumulator0 = Lanes(), accumulator1 = Lanes()
        var corrections: Float = 0
        for block in 0..<blocks {
            let source = row + block * (QuantizedMatrix.headerBytes + codeBytes)
            let scale = source.loadUnaligned(as: Float.self), offset = source.loadUnaligned(fromByteOffset: 4, as: Float.self)
            widen(source + QuantizedMatrix.headerBytes, scratch)
            let (sum0, sum1) = products(scratch, x + block * QuantizedMatrix.blockSize)
            accumulator0 += sum0 * scale
            accumulator1 += sum1 * scale
            corrections += (offset - scale * bias) * blockSums[block]
        }
        return (accumulator0 + accumulator1).sum() + corrections
    }

    /// 16 bytes of nibbles to 32 values: byte j's low nibble is value j, its high nibble value j + 16.
    @inline(__always)
    static func widenNibbles(_ codes: UnsafeRawPointer, _ values: UnsafeMutablePointer<Float>) {
        let bytes = codes.assumingMemoryBound(to: UInt8.self)
        for i in 0..<16 {
            values[i] = Float(bytes[i] & 0x0F)
            values[i + 16] = Float(bytes[i] &>> 4)
        }
    }

    /// 32 signed bytes to 32 values.
    @inline(__always)
    static func widenBytes(_ codes: UnsafeRawPointer, _ values: UnsafeMutablePointer<Float>) {
        let bytes = codes.assumingMemoryBound(to: Int8.self)
        for i in 0..<32 { values[i] = Float(bytes[i]) }
    }

    /// The 32 products of `codes` and `x`, folded into two sets of eight lanes.
    @inline(__always)
    private static func products(_ codes: UnsafePointer<Float>, _ x: UnsafePointer<Float>) -> (Lanes, Lanes) {
        let c = UnsafeRawPointer(codes), v = UnsafeRawPointer(x)
        var sum0 = c.loadUnaligned(as: Lanes.self) * v.loadUnaligned(as: Lanes.self)
        var sum1 = c.loadUnaligned(fromByteOffset: 32, as: Lanes.self) * v.loadUnaligned(fromByteOffset: 32, as: Lanes.self)
        sum0 += c.loadUnaligned(fromByteOffset: 64, as: Lanes.self) * v.loadUnaligned(fromByteOffset: 64, as: Lanes.self)
        sum1 += c.loadUnaligned(fromByteOffset: 96, as: Lanes.self) * v.loadUnaligned(fromByteOffset: 96, as: Lanes.self)
        return (sum0, sum1)
    }
}
