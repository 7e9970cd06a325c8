import MoLATensor

extension TensorRecord {
    /// The integer types `integers()` reads, by their safetensors names, with their byte counts.
    static let integerTypes: [String: Int] = ["U8": 1, "I8": 1, "BOOL": 1, "I16": 2, "I32": 4, "I64": 8]

    /// The elements of an integer tensor (U8, I8, BOOL, I16, I32, I64; little-endian, as
    /// safetensors stores them), in row-major order.
    ///
    /// - Throws: `UnsupportedDTypeError` for any other element type or a non-contiguous view.
    public func integers() throws -> [Int] {
        guard let size = Self.integerTypes[storedTypeName], isContiguous else {
            throw UnsupportedDTypeError(tensor: name, storedTypeName: storedTypeName)
        }
        let bytes = storage.bytes
        let start = storageOffset * size
        precondition(start + elementCount * size <= bytes.count, "integers: \(name) outside its storage")
        // The type decided once, not per element.
        let element: (Int) -> Int
        switch storedTypeName {
        case "U8", "BOOL": element = { Int(bytes[$0]) }
        case "I8": element = { Int(Int8(bitPattern: bytes[$0])) }
        case "I16": element = { Int(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0, as: Int16.self))) }
        case "I32": element = { Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0, as: Int32.self))) }
        default: element = { Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0, as: Int64.self))) }
        }
        return (0..<elementCount).map { element(start + $0 * size) }
    }
}
