// Converting stored elements straight to Float (the layer-by-layer pass's path) gives what the
// Double path gives, for every F16 bit pattern and a sweep of BF16 and F32 ones.
import MoLATestSupport
import Testing
@testable import MoLATensor

@Suite struct DTypeFloatTests {
    /// Both paths over `bytes` of `dtype`, compared bit for bit (NaN payloads included).
    private func agree(_ dtype: DType, _ bytes: [UInt8]) {
        let count = bytes.count / dtype.byteCount
        var doubles = [Double](repeating: 0, count: count), floats = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            doubles.withUnsafeMutableBufferPointer { dtype.convert(raw, count: count, into: $0) }
            floats.withUnsafeMutableBufferPointer { dtype.convert(raw, count: count, into: $0.baseAddress!) }
        }
        let mismatches = zip(floats, doubles).filter { $0.bitPattern != Float($1).bitPattern && !($0.isNaN && $1.isNaN) }
        #expect(mismatches.isEmpty, "\(dtype): \(mismatches.prefix(3))")
    }

    @Test func everyHalfAndASweepOfBFloat16AndFloat32() {
        let halves = (0...UInt16.max).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        agree(.float16, halves)
        agree(.bfloat16, halves)
        var random = SplitMix(seed: 9)
        agree(.float32, (0..<4096).flatMap { _ in withUnsafeBytes(of: UInt32(truncatingIfNeeded: random.next()).littleEndian, Array.init) })
    }
}
