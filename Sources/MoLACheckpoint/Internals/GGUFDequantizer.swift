import Foundation
import MoLATensor

/// ggml's `dequantize_row_*` (`ggml-quants.c`) over raw blocks, in the same float arithmetic in
/// the same order, so the values are bit for bit ggml's (and the `gguf` package's).
///
/// Block layouts (`ggml-common.h`; `d`, `m`, `dmin` are f16):
/// ```
/// Q4_0  d, qs[16]                  x = (nibble - 8) d             low nibbles are values 0-15, high 16-31
/// Q4_1  d, m, qs[16]               x = nibble d + m
/// Q5_0  d, qh[4], qs[16]           x = ((nibble | fifth bit << 4) - 16) d   bit j of qh is value j's fifth bit
/// Q5_1  d, m, qh[4], qs[16]        x = (nibble | fifth bit << 4) d + m
/// Q8_0  d, qs[32] (int8)           x = q d
/// Q2_K  scales[16], qs[64], d, dmin          16 groups of 16: x = d (sc & 15) q - dmin (sc >> 4), q 2-bit
/// Q3_K  hmask[32], qs[64], scales[12], d     16 groups of 16: x = d (sc - 32) (q - (high bit ? 0 : 4)), sc 6-bit
/// Q4_K  d, dmin, scales[12], qs[128]          8 groups of 32: x = d sc q - dmin m, sc and m 6-bit
/// Q5_K  d, dmin, scales[12], qh[32], qs[128]  as Q4_K with a fifth bit from qh
/// Q6_K  ql[128], qh[64], scales[16] (int8), d 16 groups of 16: x = d sc (q - 32), q 6-bit
/// ```
/// The caller guarantees `source` holds `blockCount` whole blocks and `destination` room for
/// `blockCount * type.blockSize` floats.
enum GGUFDequantizer {
    /// Converts `rowCount` rows of `rowLength` values, split into `chunks` runs of rows that
    /// run on `DispatchQueue.concurrentPerform`'s threads when there are several.
    static func dequantizeRows(_ type: GGUFTensorType, _ source: UnsafeRawPointer, rowCount: Int, rowLength: Int,
                               into destination: UnsafeMutablePointer<Float>, chunks: Int) {
        let blocksPerRow = rowLength / type.blockSize
        let rowBytes = blocksPerRow * type.blockByteCount
        let chunks = max(1, min(chunks, rowCount))
        // Each chunk writes its own rows: disjoint memory, which the type system cannot see.
        let pointers = UncheckedPointers(source: source, destination: destination)
        let convert = { @Sendable (chunk: Int) in
            let first = rowCount * chunk / chunks, last = rowCount * (chunk + 1) / chunks
            dequantize(type, pointers.source + first * rowBytes, blockCount: (last - first) * blocksPerRow,
                       into: pointers.destination + first * rowLength)
        }
        if chunks == 1 {
            convert(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: convert)
        }
    }

    private struct UncheckedPointers: @unchecked Sendable {
        let source: UnsafeRawPointer
        let destination: UnsafeMutablePointer<Float>
    }

    static func dequantize(_ type: GGUFTensorType, _ source: UnsafeRawPointer, blockCount: Int,
                           into destination: UnsafeMutablePointer<Float>) {
        let values = type.blockSize, bytes = type.blockByteCount
        @inline(__always) func each(_ kernel: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) {
            for block in 0..<blockCount { kernel(source + block &* bytes, destination + block &* values) }
        }
        switch type {
        case .f32: each { x, y in y.pointee = Float(bitPattern: UInt32(littleEndian: x.loadUnaligned(as: UInt32.self))) }
        case .f16: each { x, y in y.pointee = half(x, 0) }
        case .bf16: each { x, y in y.pointee = Float(bitPattern: UInt32(UInt16(littleEndian: x.loadUnaligned(as: UInt16.self))) << 16) }
        case .q4_0: each(q4_0)
        case .q4_1: each(q4_1)
        case .q5_0: each(q5_0)
        case .q5_1: each(q5_1)
        case .q8_0: each(q8_0)
        case .q2_K: each(q2_K)
        case .q3_K: each(q3_K)
        case .q4_K: each(q4_K)
        case .q5_K: each(q5_K)
        case .q6_K: each(q6_K)
        default: preconditionFailure("GGUFDequantizer: \(type.name) is not dequantized (the caller checks isDequantizable)")
        }
    }

    @inline(__always) private static func half(_ x: UnsafeRawPointer, _ offset: Int) -> Float {
        DType.floatFromHalfBits(UInt16(littleEndian: x.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always) private static func byte(_ x: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        x.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always) private static func q4_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        for j in 0..<16 {
            let q = byte(x, 2 + j)
            y[j] = Float(Int32(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int32(q >> 4) - 8) * d
        }
    }

    @inline(__always) private static func q4_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0), m = half(x, 2)
        for j in 0..<16 {
            let q = byte(x, 4 + j)
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    @inline(__always) private static func q5_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        let qh = UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let q = UInt32(byte(x, 6 + j))
            let high0 = ((qh >> UInt32(j)) << 4) & 0x10, high1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float(Int32((q & 0x0F) | high0) - 16) * d
            y[j + 16] = Float(Int32((q >> 4) | high1) - 16) * d
        }
    }

    @inline(__always) private static func q5_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0), m = half(x, 2)
        let qh = UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let q = UInt32(byte(x, 8 + j))
            let high0 = ((qh >> UInt32(j)) << 4) & 0x10, high1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float((q & 0x0F) | high0) * d + m
            y[j + 16] = Float((q >> 4) | high1) * d + m
        }
    }

    @inline(__always) private static func q8_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        for j in 0..<32 { y[j] = Float(Int8(bitPattern: byte(x, 2 + j))) * d }
    }

    private static func q2_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 80), dmin = half(x, 82)
        var output = 0, scale = 0
        for half128 in 0..<2 {
            let q = 16 + half128 * 32
            for shift in stride(from: 0, to: 8, by: 2) {
                for group in 0..<2 {
                    let sc = byte(x, scale)
                    scale += 1
                    let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                    for l in 0..<16 {
                        y[output] = dl * Float((byte(x, q + group * 16 + l) >> UInt8(shift)) & 3) - ml
                        output += 1
                    }
                }
            }
        }
    }

    private static func q3_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 108)
        var output = 0, scale = 0
        var mask: UInt8 = 1
        for half128 in 0..<2 {
            let q = 32 + half128 * 32
            for shift in stride(from: 0, to: 8, by: 2) {
                for group in 0..<2 {
                    let dl = d * Float(q3Scale(x, scale))
                    scale += 1
                    for l in 0..<16 {
                        let low = Int32((byte(x, q + group * 16 + l) >> UInt8(shift)) & 3)
                        let high: Int32 = byte(x, group * 16 + l) & mask != 0 ? 0 : 4
                        y[output] = dl * Float(low - high)
                        output += 1
                    }
                }
                mask <<= 1
            }
        }
    }

    /// Signed 6-bit scale `index` (0..<16) of a Q3_K block: its low 4 bits from bytes 96..103
    /// (low nibbles, then high nibbles), its high 2 bits from bytes 104..107 (2 bits per scale).
    @inline(__always) private static func q3Scale(_ x: UnsafeRawPointer, _ index: Int) -> Int32 {
        let low = index < 8 ? byte(x, 96 + index) & 0x0F : byte(x, 96 + index - 8) >> 4
        let high = (byte(x, 104 + index % 4) >> UInt8(2 * (index / 4))) & 3
        return Int32(low | (high << 4)) - 32
    }

    /// The 6-bit scale and min of group `j` (0..<8) of a Q4_K or Q5_K block (ggml's `get_scale_min_k4`).
    @inline(__always) private static func scaleMin(_ j: Int, _ q: UnsafeRawPointer) -> (Float, Float) {
        if j < 4 { return (Float(byte(q, j) & 63), Float(byte(q, j + 4) & 63)) }
        let scale = (byte(q, j + 4) & 0x0F) | ((byte(q, j - 4) >> 6) << 4)
        let min = (byte(q, j + 4) >> 4) | ((byte(q, j) >> 6) << 4)
        return (Float(scale), Float(min))
    }

    private static func q4_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0), dmin = half(x, 2)
        let scales = x + 4
        for chunk in 0..<4 {
            let (sc1, m1) = scaleMin(2 * chunk, scales), (sc2, m2) = scaleMin(2 * chunk + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2
            let q = 16 + chunk * 32, out = chunk * 64
            for l in 0..<32 {
                let value = byte(x, q + l)
                y[out + l] = d1 * Float(value & 0x0F) - min1
                y[out + 32 + l] = d2 * Float(value >> 4) - min2
            }
        }
    }

    private static func q5_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0), dmin = half(x, 2)
        let scales = x + 4
        for chunk in 0..<4 {
            let (sc1, m1) = scaleMin(2 * chunk, scales), (sc2, m2) = scaleMin(2 * chunk + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2
            let u1 = UInt8(1) << UInt8(2 * chunk), u2 = UInt8(2) << UInt8(2 * chunk)
            let q = 48 + chunk * 32, out = chunk * 64
            for l in 0..<32 {
                let value = byte(x, q + l), high = byte(x, 16 + l)
                y[out + l] = d1 * Float((value & 0x0F) + (high & u1 != 0 ? 16 : 0)) - min1
                y[out + 32 + l] = d2 * Float((value >> 4) + (high & u2 != 0 ? 16 : 0)) - min2
            }
        }
    }

    private static func q6_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 208)
        for half128 in 0..<2 {
            let ql = half128 * 64, qh = 128 + half128 * 32, sc = 192 + half128 * 8, out = half128 * 128
            for l in 0..<32 {
                let group = l / 16
                let low0 = byte(x, ql + l), low32 = byte(x, ql + l + 32), high = byte(x, qh + l)
                let q1 = Int32((low0 & 0x0F) | ((high & 3) << 4)) - 32
                let q2 = Int32((low32 & 0x0F) | (((high >> 2) & 3) << 4)) - 32
                let q3 = Int32((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32
                let q4 = Int32((low32 >> 4) | (((high >> 6) & 3) << 4)) - 32
                func scale(_ k: Int) -> Float { d * Float(Int8(bitPattern: byte(x, sc + group + k))) }
                y[out + l] = scale(0) * Float(q1)
                y[out + l + 32] = scale(2) * Float(q2)
                y[out + l + 64] = scale(4) * Float(q3)
                y[out + l + 96] = scale(6) * Float(q4)
            }
        }
    }
}
