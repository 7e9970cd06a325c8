extension DType {
    /// Every binary16 bit pattern's Float value (256 KB, built once): a load per element where
    /// `floatFromHalfBits` branches, for converting whole weight matrices.
    private static let halfTable: [Float] = (0...UInt16.max).map(floatFromHalfBits)

    /// Converts `count` little-endian elements starting at `source` (any alignment) to `Float`.
    ///
    /// - Parameters:
    ///   - source: raw bytes holding at least `count * byteCount` bytes.
    ///   - destination: receives `count` values.
    public func convert(_ source: UnsafeRawBufferPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(source.count >= count * byteCount, "DType.convert: source smaller than \(count) elements")
        switch self {
        case .float32:
            // Little-endian hosts only (the project's platforms): a plain copy.
            UnsafeMutableRawPointer(destination).copyMemory(from: source.baseAddress!, byteCount: count * 4)
        case .float16:
            Self.halfTable.withUnsafeBufferPointer { table in
                for index in 0..<count {
                    destination[index] = table[Int(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)))]
                }
            }
        case .bfloat16:
            for index in 0..<count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self))
                destination[index] = Float(bitPattern: UInt32(bits) << 16)
            }
        }
    }
}
