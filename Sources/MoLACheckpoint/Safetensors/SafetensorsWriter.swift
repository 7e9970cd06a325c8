import Foundation
import MoLAFiles
import MoLATensor

/// Writes tensors as a safetensors file, in F32 or converted to F16 or BF16, (the layout `SafetensorsFile` documents): the data
/// lie in the order given, their offsets tile the buffer without holes, and the header (JSON
/// with sorted keys) is padded with spaces to a multiple of 8 bytes, as the reference writer does.
public enum SafetensorsWriter {
    /// A tensor to write: its name, shape and row-major values.
    public struct Entry {
        public let name: String
        public let shape: [Int]
        public let values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "SafetensorsWriter: \(values.count) values for \(name) \(shape)")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// Writes `entries` (names must be unique) and `metadata` to `path`, atomically, each value
    /// stored as `dtype` (rounded to nearest, ties to even).
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], dtype: DType = .float32, to path: String) throws {
        let element = ElementType.of(dtype)
        precondition(Set(entries.map(\.name)).count == entries.count, "SafetensorsWriter: duplicate tensor names")
        var offset = 0
        let layout = entries.map { entry -> SafetensorsHeader.Entry in
            let end = offset + entry.values.count * element.byteCount
            defer { offset = end }
            return SafetensorsHeader.Entry(name: entry.name, dtypeName: element.safetensorsName!, shape: entry.shape,
                                           begin: offset, end: end)
        }
        var headerBytes = [UInt8](try SafetensorsHeader(entries: layout, metadata: metadata).encoded())
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        let file = try AtomicFileWriter(path: path)
        var length = UInt64(headerBytes.count).littleEndian
        try file.write(Data(bytes: &length, count: 8))
        try file.write(Data(headerBytes))
        for entry in entries {
            try file.write(dtype.encoded(entry.values))
        }
        try file.commit()
    }
}
