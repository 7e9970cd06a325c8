import Foundation

/// A GGUF file (llama.cpp's format), memory-mapped, with its header, metadata and tensor infos
/// read and every rule checked; tensor data is converted only when asked (`floats(of:)`).
///
/// Byte layout (ggml `include/gguf.h`, `src/gguf.cpp`), every integer little-endian:
///
/// 1. Header: 4 bytes magic `GGUF`; u32 version, which MUST be 2 or 3 (1 had 32-bit counts and
///    is no longer read; a version whose low 16 bits are zero is a big-endian file); u64 tensor
///    count; u64 key/value count. Each count MUST fit in the rest of the file (this reader bounds
///    it by the smallest size of one entry).
/// 2. Key/value pairs, count from 1: key (a string: u64 byte length, then UTF-8 bytes, no
///    terminator; not empty, no key twice); u32 value type; the value. Types: 0 u8, 1 i8, 2 u16,
///    3 i16, 4 u32, 5 i32, 6 f32, 7 bool (one byte, non-zero is true), 8 string, 9 array,
///    10 u64, 11 i64, 12 f64. An array is a u32 element type, a u64 count, then the elements.
///    ggml refuses arrays of arrays; the `gguf` Python package writes them, and this reader
///    reads them up to `maximumArrayNesting` deep. Strings are refused when not UTF-8.
/// 3. `general.alignment`, when present, MUST be a u32 and a non-zero power of two; default 32.
/// 4. Tensor infos, count from 1: name (a string, fewer than 64 bytes, unique); u32 dimension
///    count, at most 4; that many u64 sizes, innermost (contiguous) first, so ggml's `[ne0, ne1]`
///    is the row-major shape `[ne1, ne0]`; u32 element type (`GGUFTensorType`); u64 offset into
///    the data section. The innermost size MUST be a multiple of the type's block size; the byte
///    count is `elements / blockSize * blockByteCount`, checked for overflow.
/// 5. Padding to a multiple of the alignment (when there are tensors), then the data section.
///    Each tensor's offset MUST be a multiple of the alignment and, as `gguf.cpp` requires, equal
///    to the previous tensor's offset plus its byte count padded to the alignment (the first at
///    0): no gaps, no overlaps. Each tensor's bytes MUST lie inside the file (the padding after
///    the last one MAY be missing).
public final class GGUFFile: Sendable {
    /// The deepest nesting of arrays read (an array of arrays is depth 2).
    public static let maximumArrayNesting = 8
    /// ggml's `GGML_MAX_NAME`: names MUST be shorter.
    public static let maximumTensorNameLength = 64
    /// ggml's `GGUF_DEFAULT_ALIGNMENT`.
    public static let defaultAlignment = 32

    public let path: String
    public let version: UInt32
    public let metadata: GGUFMetadata
    /// The alignment of the data section and of each tensor in it.
    public let alignment: Int
    /// Where the data section starts in the file.
    public let dataOffset: Int
    /// Tensor infos in file order.
    public let tensors: [GGUFTensor]
    let tensorIndex: [String: Int]
    let file: MappedFile

    /// Opens and validates `path`.
    ///
    /// - Throws: `InputFileError`, `MappedFileError` or `GGUFError`.
    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    init(file: MappedFile) throws {
        self.file = file
        path = file.path
        var cursor = GGUFCursor(file: file)
        let magic = try cursor.bytes(4, reading: "the magic")
        guard Array(magic) == Array("GGUF".utf8) else { throw GGUFError.badMagic(file: path, found: Array(magic)) }
        version = try cursor.uint32("the version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(file: path, version: version) }
        let tensorCount = try Self.count(&cursor, "tensor", minimumEntrySize: 8 + 4 + 4 + 8)
        let keyValueCount = try Self.count(&cursor, "key/value", minimumEntrySize: 8 + 1 + 4 + 1)
        metadata = try Self.readMetadata(&cursor, count: keyValueCount)
        alignment = try Self.alignment(metadata)
        var tensors: [GGUFTensor] = []
        var index: [String: Int] = [:]
        for _ in 0..<tensorCount {
            let start = cursor.offset
            let tensor = try GGUFTensor(reading: &cursor)
            guard index.updateValue(tensors.count, forKey: tensor.name) == nil else {
                throw GGUFError.duplicateTensor(file: path, tensor: tensor.name, offset: start)
            }
            tensors.append(tensor)
        }
        if tensorCount > 0 {
            let (padded, overflow) = cursor.offset.roundedUp(toMultipleOf: alignment)
            guard !overflow else { throw GGUFError.truncated(file: path, offset: file.size, reading: "the padding before the data section") }
            try cursor.seek(to: padded, reading: "the padding before the data section")
        }
        dataOffset = cursor.offset
        try Self.checkPlacement(tensors, dataOffset: dataOffset, alignment: alignment, file: file)
        self.tensors = tensors
        tensorIndex = index
    }

    /// The info of the tensor called `name`.
    public func tensor(named name: String) throws -> GGUFTensor {
        guard let position = tensorIndex[name] else { throw GGUFError.noSuchTensor(file: path, tensor: name) }
        return tensors[position]
    }

    /// A u64 count bounded by what the rest of the file could hold.
    private static func count(_ cursor: inout GGUFCursor, _ what: String, minimumEntrySize: Int) throws -> Int {
        let start = cursor.offset
        let count = try cursor.uint64("the \(what) count")
        guard count <= UInt64(cursor.remaining / minimumEntrySize) else {
            throw GGUFError.countTooLarge(file: cursor.file.path, offset: start, what: what, count: count)
        }
        return Int(count)
    }

    /// `general.alignment` (layout item 3).
    private static func alignment(_ metadata: GGUFMetadata) throws -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard case let .uint32(alignment) = value else {
            throw GGUFError.alignmentNotUInt32(file: metadata.file, found: value.typeName)
        }
        guard alignment != 0, alignment & (alignment - 1) == 0 else {
            throw GGUFError.invalidAlignment(file: metadata.file, alignment: alignment)
        }
        return Int(alignment)
    }

    /// Layout item 5: each tensor aligned, right after the previous one, inside the file.
    private static func checkPlacement(_ tensors: [GGUFTensor], dataOffset: Int, alignment: Int, file: MappedFile) throws {
        var expected = 0
        for tensor in tensors {
            guard tensor.storedOffset % UInt64(alignment) == 0 else {
                throw GGUFError.misalignedTensor(file: file.path, tensor: tensor.name, offset: tensor.storedOffset, alignment: alignment)
            }
            guard tensor.storedOffset == UInt64(expected) else {
                throw GGUFError.unexpectedTensorOffset(file: file.path, tensor: tensor.name, offset: tensor.storedOffset, expected: expected)
            }
            // expected <= file size here (checked below for the previous tensor), so no overflow.
            let (end, overflow) = (dataOffset + expected).addingReportingOverflow(tensor.byteCount)
            guard !overflow, end <= file.size else {
                throw GGUFError.tensorPastEnd(file: file.path, tensor: tensor.name,
                                              end: UInt64(dataOffset + expected) + UInt64(tensor.byteCount), fileSize: file.size)
            }
            let (padded, paddingOverflow) = (expected + tensor.byteCount).roundedUp(toMultipleOf: alignment)
            guard !paddingOverflow else {
                throw GGUFError.tensorPastEnd(file: file.path, tensor: tensor.name, end: UInt64(end), fileSize: file.size)
            }
            expected = padded
        }
    }
}

extension Int {
    /// `self` rounded up to a multiple of `alignment` (a power of two), and whether that overflowed.
    func roundedUp(toMultipleOf alignment: Int) -> (Int, Bool) {
        let (sum, overflow) = addingReportingOverflow(alignment - 1)
        return (sum & ~(alignment - 1), overflow)
    }
}
