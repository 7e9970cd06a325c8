import Foundation
import MoLATensor

/// A safetensors file, memory-mapped, with its header parsed and every rule checked.
///
/// Byte layout (https://github.com/huggingface/safetensors, README "Format"):
///
/// 1. 8 bytes: `N`, an unsigned little-endian 64-bit integer, the size of the header.
///    It MUST leave room in the file (`8 + N <= file size`); this reader also refuses
///    `N > 100_000_000`, the reference implementation's bound.
/// 2. `N` bytes: a UTF-8 JSON object. Keys are tensor names; each value is
///    `{"dtype": "F32", "shape": [r, d], "data_offsets": [begin, end]}`. The special key
///    `__metadata__` MAY map to an object of string values. Trailing spaces MAY pad the header.
/// 3. The rest of the file: the byte buffer. Offsets are relative to its start. Tensors MUST be
///    row-major and little-endian, `end - begin` MUST equal the element count times the dtype
///    size, and the tensors MUST cover the buffer exactly: no overlaps, no holes, nothing after
///    the last tensor.
///
/// Listing reads only the header; values are converted per tensor on demand.
public final class SafetensorsFile: Sendable {
    /// The reference implementation's bound on the header size.
    public static let maximumHeaderSize = 100_000_000

    public let path: String
    /// Tensors in the order of their offsets in the buffer.
    public let records: [TensorRecord]
    /// Positions in `records` by tensor name.
    let recordIndex: [String: Int]
    /// The `__metadata__` strings, if any.
    public let metadata: [String: String]

    /// Opens and validates `path`.
    ///
    /// - Throws: `MappedFileError` or `SafetensorsError`.
    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    init(file: MappedFile) throws {
        path = file.path
        guard let lengthBytes = file.bytes(at: 0, count: 8) else {
            throw SafetensorsError.fileTooSmall(file: file.path, size: file.size)
        }
        let declared = UInt64(littleEndian: lengthBytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maximumHeaderSize) else {
            throw SafetensorsError.headerTooLarge(file: file.path, declared: declared)
        }
        let headerSize = Int(declared)
        guard let headerBytes = file.bytes(at: 8, count: headerSize) else {
            throw SafetensorsError.headerPastEnd(file: file.path, declared: headerSize, fileSize: file.size)
        }
        let header = try SafetensorsHeader(json: Data(headerBytes), file: file.path)
        let bufferStart = 8 + headerSize
        let bufferSize = file.size - bufferStart
        try header.checkCoverage(bufferSize: bufferSize, file: file.path)
        metadata = header.metadata
        records = header.entries.map { entry in
            TensorRecord(name: entry.name, storedTypeName: entry.dtypeName,
                         dtype: ElementType.safetensors(entry.dtypeName)?.dtype, shape: entry.shape,
                         strides: TensorRecord.rowMajorStrides(for: entry.shape), storageOffset: 0,
                         storage: StorageRegion(file: file, byteOffset: bufferStart + entry.begin,
                                                byteCount: entry.end - entry.begin))
        }
        recordIndex = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($1.name, $0) })
    }
}
