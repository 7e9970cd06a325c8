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

/// The parsed JSON header of a safetensors file.
struct SafetensorsHeader {
    struct Entry {
        let name: String
        let dtypeName: String
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// Entries sorted by their position in the buffer.
    let entries: [Entry]
    let metadata: [String: String]

    init(json: Data, file: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw SafetensorsError.invalidJSON(file: file, reason: Self.reason(of: error))
        }
        guard let dictionary = object as? [String: Any] else {
            throw SafetensorsError.headerNotObject(file: file)
        }
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in dictionary {
            if name == "__metadata__" {
                guard let strings = value as? [String: String] else {
                    throw SafetensorsError.invalidMetadata(file: file)
                }
                metadata = strings
                continue
            }
            entries.append(try Self.entry(name: name, value: value, file: file))
        }
        self.entries = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        self.metadata = metadata
    }

    private static func entry(name: String, value: Any, file: String) throws -> Entry {
        guard let fields = value as? [String: Any] else {
            throw SafetensorsError.invalidEntry(file: file, tensor: name, reason: "not a JSON object")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw SafetensorsError.invalidEntry(file: file, tensor: name, reason: "no \"dtype\" string")
        }
        guard let elementSize = ElementType.safetensors(dtypeName)?.byteCount else {
            throw SafetensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = fields["shape"] as? [Any],
              let shape = integers(shapeValues) else {
            throw SafetensorsError.invalidEntry(file: file, tensor: name,
                                                reason: "\"shape\" is not a list of non-negative integers")
        }
        guard let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2,
              let offsets = integers(offsetValues) else {
            throw SafetensorsError.invalidEntry(file: file, tensor: name,
                                                reason: "\"data_offsets\" is not two non-negative integers")
        }
        var elementCount = 1
        for size in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else { throw SafetensorsError.shapeOverflow(file: file, tensor: name, shape: shape) }
            elementCount = product
        }
        let (byteLength, overflow) = elementCount.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw SafetensorsError.shapeOverflow(file: file, tensor: name, shape: shape) }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw SafetensorsError.invalidOffsets(file: file, tensor: name, begin: begin, end: end)
        }
        guard end - begin == byteLength else {
            throw SafetensorsError.byteLengthMismatch(file: file, tensor: name, expected: byteLength,
                                                      found: end - begin)
        }
        return Entry(name: name, dtypeName: dtypeName, shape: shape, begin: begin, end: end)
    }

    /// Non-negative integers that fit `Int`, or nil (fractions, negatives, strings, huge values).
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        result.reserveCapacity(values.count)
        for value in values {
            // Foundation bridges a JSON number to Int only when it is exactly an Int.
            guard let integer = value as? Int, integer >= 0 else { return nil }
            result.append(integer)
        }
        return result
    }

    /// Checks that the sorted entries tile `[0, bufferSize)` exactly.
    func checkCoverage(bufferSize: Int, file: String) throws {
        var position = 0
        var previous = "the start of the buffer"
        for entry in entries {
            guard entry.end <= bufferSize else {
                throw SafetensorsError.offsetsOutOfRange(file: file, tensor: entry.name, end: entry.end,
                                                         bufferSize: bufferSize)
            }
            if entry.begin < position {
                throw SafetensorsError.overlappingTensors(file: file, first: previous, second: entry.name,
                                                          offset: entry.begin)
            }
            if entry.begin > position {
                throw SafetensorsError.hole(file: file, begin: position, end: entry.begin)
            }
            if entry.end > entry.begin {
                position = entry.end
                previous = entry.name
            }
        }
        if position != bufferSize {
            throw SafetensorsError.hole(file: file, begin: position, end: bufferSize)
        }
    }

    private static func reason(of error: Error) -> String {
        let nsError = error as NSError
        if let detail = nsError.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return nsError.localizedDescription
    }
}
