import Foundation

/// The products of `QuantizedMatrix` over raw blocks: codes widened to Float eight lanes at a
/// time, multiplied and added without fused multiply-adds (which compile to a library call per
/// lane on processors the baseline x86-64 target cannot assume have them).
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
            for row in first..<last {
                let source = shared.storage + row * rowBytes
                switch codes {
                case .fourBit(let bias):
                    shared.y[row] = fourBitRow(source, blocks: blocks, bias: Float(bias), x: shared.x, blockSums: shared.blockSums)
                case .eightBit:
                    shared.y[row] = eightBitRow(source, blocks: blocks, x: shared.x, blockSums: shared.blockSums)
                }
            }
        }
        guard threads > 1 else { return run(0, rows) }
        // Each worker writes its own rows of y: disjoint memory.
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            run(rows * worker / threads, rows * (worker + 1) / threads)
        }
    }

    private struct SharedPointers: @unchecked Sendable {
        let storage: UnsafeRawPointer
        let x: UnsafePointer<Float>
        let blockSums: UnsafePointer<Float>
        let y: UnsafeMutablePointer<Float>
    }

    /// One row of 4-bit blocks: `sum_b scale_b (sum_j nibble_j x_j) + (offset_b - scale_b bias) S_b`.
    @inline(__always)
    static func fourBitRow(_ row: UnsafeRawPointer, blocks: Int, bias: Float, x: UnsafePointer<Float>,
                           blockSums: UnsafePointer<Float>) -> Float {
        var accumulator0 = Lanes(), accumulator1 = Lanes()
        var corrections: Float = 0
        for block in 0..<blocks {
            let source = row + block * (QuantizedMatrix.headerBytes + 16)
            let scale = source.loadUnaligned(as: Float.self), offset = source.loadUnaligned(fromByteOffset: 4, as: Float.self)
            let codes = source.loadUnaligned(fromByteOffset: QuantizedMatrix.headerBytes, as: SIMD16<UInt8>.self)
            // Element-wise conversions: the standard library's vector conversions are generic
            // calls that do not inline; these loops become widening vector instructions.
            var low0 = Lanes(), low1 = Lanes(), high0 = Lanes(), high1 = Lanes()
            for i in 0..<8 {
                low0[i] = Float(codes[i] & 0x0F)
                low1[i] = Float(codes[i + 8] & 0x0F)
                high0[i] = Float(codes[i] &>> 4)
                high1[i] = Float(codes[i + 8] &>> 4)
            }
            let values = UnsafeRawPointer(x + block * QuantizedMatrix.blockSize)
            var sum0 = low0 * values.loadUnaligned(as: Lanes.self)
            var sum1 = low1 * values.loadUnaligned(fromByteOffset: 32, as: Lanes.self)
            sum0 += high0 * values.loadUnaligned(fromByteOffset: 64, as: Lanes.self)
            sum1 += high1 * values.loadUnaligned(fromByteOffset: 96, as: Lanes.self)
            accumulator0 += sum0 * scale
            accumulator1 += sum1 * scale
            corrections += (offset - scale * bias) * blockSums[block]
        }
        return (accumulator0 + accumulator1).sum() + corrections
    }

    /// One row of 8-bit blocks: `sum_b scale_b (sum_j code_j x_j) + offset_b S_b`.
    @inline(__always)
    static func eightBitRow(_ row: UnsafeRawPointer, blocks: Int, x: UnsafePointer<Float>,
                            blockSums: UnsafePointer<Float>) -> Float {
        var accumulator0 = Lanes(), accumulator1 = Lanes()
        var corrections: Float = 0
        for block in 0..<blocks {
            let source = row + block * (QuantizedMatrix.headerBytes + 32)
            let scale = source.loadUnaligned(as: Float.self), offset = source.loadUnaligned(fromByteOffset: 4, as: Float.self)
            let codes = source.loadUnaligned(fromByteOffset: QuantizedMatrix.headerBytes, as: SIMD32<Int8>.self)
            var part0 = Lanes(), part1 = Lanes(), part2 = Lanes(), part3 = Lanes()
            for i in 0..<8 {
                part0[i] = Float(codes[i])
                part1[i] = Float(codes[i + 8])
                part2[i] = Float(codes[i + 16])
                part3[i] = Float(codes[i + 24])
            }
            let values = UnsafeRawPointer(x + block * QuantizedMatrix.blockSize)
            var sum0 = part0 * values.loadUnaligned(as: Lanes.self)
            var sum1 = part1 * values.loadUnaligned(fromByteOffset: 32, as: Lanes.self)
            sum0 += part2 * values.loadUnaligned(fromByteOffset: 64, as: Lanes.self)
            sum1 += part3 * values.loadUnaligned(fromByteOffset: 96, as: Lanes.self)
            accumulator0 += sum0 * scale
            accumulator1 += sum1 * scale
            corrections += offset * blockSums[block]
        }
        return (accumulator0 + accumulator1).sum() + corrections
    }
}
