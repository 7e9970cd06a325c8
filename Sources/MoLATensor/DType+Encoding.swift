import Foundation

extension DType {
    /// `values` as little-endian bytes of this type, rounded to the nearest representable value
    /// (ties to even): F16 as IEEE half precision (overflow to infinity), BF16 as the upper 16
    /// bits of the Float32 after rounding (NaN kept a NaN).
    public func encoded(_ values: [Float]) -> Data {
        switch self {
        case .float32:
            // Little-endian hosts only (x86_64, arm64), as every reader here: the bytes are the values.
            return values.withUnsafeBufferPointer { Data(buffer: $0) }
        case .float16:
            return Data(values.map { Float16($0).bitPattern.littleEndian }.withUnsafeBytes { Array($0) })
        case .bfloat16:
            return Data(values.map { Self.bfloat16Bits($0).littleEndian }.withUnsafeBytes { Array($0) })
        }
    }

    /// The bits of `value` rounded to bfloat16, ties to even.
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        guard !value.isNaN else { return UInt16(bits >> 16) | 0x0040 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
