/// Reads GGUF's little-endian fields in order from a mapped file, every read checked against
/// the end of the file; a field the file ends inside throws `GGUFError.truncated` naming it.
struct GGUFCursor {
    let file: MappedFile
    /// The offset of the next byte to read.
    private(set) var offset: Int = 0

    init(file: MappedFile) { self.file = file }

    /// Bytes left after `offset`.
    var remaining: Int { file.size - offset }

    /// The next `count` bytes, advancing past them.
    mutating func bytes(_ count: Int, reading what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard let bytes = file.bytes(at: offset, count: count) else {
            throw GGUFError.truncated(file: file.path, offset: file.size, reading: what())
        }
        offset += count
        return bytes
    }

    /// Moves to `target` (at most the end of the file).
    mutating func seek(to target: Int, reading what: @autoclosure () -> String) throws {
        guard target >= offset, target <= file.size else {
            throw GGUFError.truncated(file: file.path, offset: file.size, reading: what())
        }
        offset = target
    }

    mutating func uint8(_ what: @autoclosure () -> String) throws -> UInt8 {
        try bytes(1, reading: what())[0]
    }

    mutating func uint32(_ what: @autoclosure () -> String) throws -> UInt32 {
        UInt32(littleEndian: try bytes(4, reading: what()).loadUnaligned(as: UInt32.self))
    }

    mutating func uint64(_ what: @autoclosure () -> String) throws -> UInt64 {
        UInt64(littleEndian: try bytes(8, reading: what()).loadUnaligned(as: UInt64.self))
    }

    /// `count` fixed-size little-endian values of type `T` (an integer type or a float's bits).
    mutating func array<T: FixedWidthInteger>(of _: T.Type, count: Int, reading what: @autoclosure () -> String) throws -> [T] {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.size)
        guard !overflow else { throw GGUFError.truncated(file: file.path, offset: file.size, reading: what()) }
        let raw = try bytes(byteCount, reading: what())
        return (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 &* MemoryLayout<T>.size, as: T.self)) }
    }

    /// A string: u64 length, then that many bytes of UTF-8 (no terminator).
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let start = offset
        let length = try uint64("the length of \(what())")
        guard length <= UInt64(remaining) else {
            throw GGUFError.stringPastEnd(file: file.path, offset: start, length: length)
        }
        let raw = try bytes(Int(length), reading: what())
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw GGUFError.invalidUTF8(file: file.path, offset: start, what: what())
        }
        return text
    }
}
