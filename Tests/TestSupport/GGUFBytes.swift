/// Builds small GGUF files field by field for malformed-input tests (layout: `GGUFFile`).
///
/// `bytes()` writes what the fields say, right or wrong: tests set a field to a bad value
/// (a count, a length, an offset) and check the reader's error.
public struct GGUFBytes {
    public struct KeyValue {
        public var key: [UInt8]
        public var type: UInt32
        public var value: [UInt8]
    }

    public struct TensorInfo {
        public var name: [UInt8]
        public var dimensions: [UInt64]
        public var type: UInt32
        public var offset: UInt64
        /// Written as the dimension count instead of `dimensions.count`, when set.
        public var dimensionCount: UInt32?
    }

    public var magic: [UInt8] = Array("GGUF".utf8)
    public var version: UInt32 = 3
    public var tensorCount: UInt64?
    public var keyValueCount: UInt64?
    public var metadata: [KeyValue] = []
    public var tensors: [TensorInfo] = []
    /// The data section (after the padding that aligns it to 32).
    public var data: [UInt8] = []
    public var alignment = 32

    public init() {}

    /// A u64 length and the bytes.
    public static func string(_ bytes: [UInt8]) -> [UInt8] { le(UInt64(bytes.count)) + bytes }
    public static func string(_ text: String) -> [UInt8] { string(Array(text.utf8)) }

    public static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian, Array.init)
    }

    public mutating func add(key: String, type: UInt32, value: [UInt8]) {
        metadata.append(KeyValue(key: Array(key.utf8), type: type, value: value))
    }

    /// An F32 tensor of `values` (dimensions innermost first), placed after the previous one.
    public mutating func addFloat32(_ name: String, dimensions: [UInt64], values: [Float]) {
        addTensor(name, dimensions: dimensions, type: 0, payload: values.flatMap { Self.le($0.bitPattern) })
    }

    /// A tensor of any type with the given payload bytes, placed after the previous one, aligned.
    public mutating func addTensor(_ name: String, dimensions: [UInt64], type: UInt32, payload: [UInt8]) {
        while data.count % alignment != 0 { data.append(0) }
        tensors.append(TensorInfo(name: Array(name.utf8), dimensions: dimensions, type: type, offset: UInt64(data.count)))
        data += payload
    }

    public func bytes() -> [UInt8] {
        var out = magic + Self.le(version)
        out += Self.le(tensorCount ?? UInt64(tensors.count))
        out += Self.le(keyValueCount ?? UInt64(metadata.count))
        for entry in metadata {
            out += Self.string(entry.key) + Self.le(entry.type) + entry.value
        }
        for tensor in tensors {
            out += Self.string(tensor.name) + Self.le(tensor.dimensionCount ?? UInt32(tensor.dimensions.count))
            for size in tensor.dimensions { out += Self.le(size) }
            out += Self.le(tensor.type) + Self.le(tensor.offset)
        }
        if !tensors.isEmpty {
            while out.count % alignment != 0 { out.append(0) }
        }
        return out + data
    }
}
