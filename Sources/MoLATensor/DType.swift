/// The floating-point element types that MoLA checkpoints store and this project reads (their
/// sizes and names in each format: `ElementType`; the raw value is the safetensors name).
///
/// Reference runs save Float32; half-precision fine-tunes save Float16 or BFloat16. Every one of
/// them converts to `Float` (and so to `Double`) exactly.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"

    /// Bytes per element (from `ElementType`'s table).
    public var byteCount: Int { ElementType.of(self).byteCount }
}

extension DType {
    /// Converts `count` little-endian elements starting at `source` (any alignment) to `Double`.
    ///
    /// - Parameters:
    ///   - source: raw bytes holding at least `count * byteCount` bytes.
    ///   - count: number of elements.
    ///   - destination: receives `count` values.
    public func convert(_ source: UnsafeRawBufferPointer, count: Int,
                        into destination: UnsafeMutableBufferPointer<Double>) {
        precondition(source.count >= count * byteCount && destination.count >= count,
                     "DType.convert: buffers smaller than \(count) elements")
        switch self {
        case .float32:
            for index in 0..<count {
                let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self))
                destination[index] = Double(Float(bitPattern: bits))
            }
        case .float16:
            for index in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self))
                destination[index] = Double(Self.floatFromHalfBits(bits))
            }
        case .bfloat16:
            for index in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self))
                destination[index] = Double(Float(bitPattern: UInt32(bits) << 16))
            }
        }
    }

    /// Reads the element at `index` (in elements) of `source` as `Double`.
    @inline(__always)
    public func element(_ source: UnsafeRawBufferPointer, at index: Int) -> Double {
        switch self {
        case .float32:
            let bits = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self))
            return Double(Float(bitPattern: bits))
        case .float16:
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self))
            return Double(Self.floatFromHalfBits(bits))
        case .bfloat16:
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self))
            return Double(Float(bitPattern: UInt32(bits) << 16))
        }
    }

    /// IEEE 754 binary16 to binary32, exact for every input (subnormals, infinities, NaN payloads).
    ///
    /// ```
    /// half  = s eeeee mmmmmmmmmm          value = (-1)^s * 2^(e-15) * 1.m   (e in 1...30)
    /// float = s eeeeeeee mmm...m (23)     exponent rebased by 127 - 15 = 112
    /// ```
    @inline(__always)
    public static func floatFromHalfBits(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half) & 0x3FF
        if exponent == 0x1F {  // infinity or NaN: keep the payload
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
