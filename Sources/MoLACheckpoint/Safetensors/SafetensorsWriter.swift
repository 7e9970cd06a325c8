import Foundation

/// Writes F32 tensors as a safetensors file (the layout `SafetensorsFile` documents): the
/// header lists tensors in the order given, offsets tile the buffer without holes, and the
/// header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
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

    /// Writes `entries` (names must be unique) and `metadata` to `path`, atomically.
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to path: String) throws {
        precondition(Set(entries.map(\.name)).count == entries.count, "SafetensorsWriter: duplicate tensor names")
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for entry in entries {
            let end = offset + entry.values.count * 4
            fields.append("\(quoted(entry.name)):{\"dtype\":\"F32\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        try AtomicFile.write(path) { handle in
            var length = UInt64(header.count).littleEndian
            handle.write(Data(bytes: &length, count: 8))
            handle.write(Data(header))
            for entry in entries {
                entry.values.withUnsafeBufferPointer { values in
                    // Little-endian hosts only (x86_64, arm64): the bytes are the values.
                    handle.write(Data(buffer: values))
                }
            }
        }
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
