import Foundation
import MoLATensor

/// The JSON header of a safetensors file (layout 2 of `SafetensorsFile`): read by
/// `SafetensorsFile`, written by `SafetensorsWriter`, the same type on both sides.
///
/// Decoding checks each entry's fields and sizes (every rule that needs no buffer) and throws
/// `SafetensorsError` naming the tensor; the buffer rules are `checkCoverage`'s.
struct SafetensorsHeader: Codable {
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

    /// The key of the file's path in the decoder's `userInfo`, for errors.
    static let fileKey = CodingUserInfoKey(rawValue: "safetensors.file")!

    init(entries: [Entry], metadata: [String: String]) {
        self.entries = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        self.metadata = metadata
    }

    /// Parses the header's bytes.
    ///
    /// - Throws: `SafetensorsError`.
    init(json: Data, file: String) throws {
        let decoder = JSONDecoder()
        decoder.userInfo[Self.fileKey] = file
        do {
            self = try decoder.decode(SafetensorsHeader.self, from: json)
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            throw SafetensorsError.headerNotObject(file: file)
        } catch let error as DecodingError {
            throw SafetensorsError.invalidJSON(file: file, reason: Self.reason(of: error))
        }
    }

    /// The header's JSON: keys sorted, as the reference writer sorts them.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    private struct NameKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let metadataKey = "__metadata__"

    /// One entry's fields as the file has them, each nil when absent or of the wrong type.
    private struct Fields: Codable {
        var dtype: String?
        var shape: [Int]?
        var dataOffsets: [Int]?

        enum CodingKeys: String, CodingKey { case dtype, shape, dataOffsets = "data_offsets" }

        init(dtype: String, shape: [Int], dataOffsets: [Int]) {
            (self.dtype, self.shape, self.dataOffsets) = (dtype, shape, dataOffsets)
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // Fractions, strings and numbers past Int fail to decode as Int: they are refused below.
            dtype = try? container.decode(String.self, forKey: .dtype)
            shape = try? container.decode([Int].self, forKey: .shape)
            dataOffsets = try? container.decode([Int].self, forKey: .dataOffsets)
        }
    }

    init(from decoder: any Decoder) throws {
        let file = decoder.userInfo[Self.fileKey] as? String ?? "(header)"
        let container = try decoder.container(keyedBy: NameKey.self)
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for key in container.allKeys {
            if key.stringValue == Self.metadataKey {
                guard let strings = try? container.decode([String: String].self, forKey: key) else {
                    throw SafetensorsError.invalidMetadata(file: file)
                }
                metadata = strings
                continue
            }
            guard let fields = try? container.decode(Fields.self, forKey: key) else {
                throw SafetensorsError.invalidEntry(file: file, tensor: key.stringValue, reason: "not a JSON object")
            }
            entries.append(try Self.entry(name: key.stringValue, fields: fields, file: file))
        }
        self.init(entries: entries, metadata: metadata)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        if !metadata.isEmpty { try container.encode(metadata, forKey: NameKey(stringValue: Self.metadataKey)) }
        for entry in entries {
            try container.encode(Fields(dtype: entry.dtypeName, shape: entry.shape, dataOffsets: [entry.begin, entry.end]),
                                 forKey: NameKey(stringValue: entry.name))
        }
    }

    private static func entry(name: String, fields: Fields, file: String) throws -> Entry {
        guard let dtypeName = fields.dtype else {
            throw SafetensorsError.invalidEntry(file: file, tensor: name, reason: "no \"dtype\" string")
        }
        guard let elementSize = ElementType.safetensors(dtypeName)?.byteCount else {
            throw SafetensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shape = fields.shape, shape.allSatisfy({ $0 >= 0 }) else {
            throw SafetensorsError.invalidEntry(file: file, tensor: name,
                                                reason: "\"shape\" is not a list of non-negative integers")
        }
        guard let offsets = fields.dataOffsets, offsets.count == 2, offsets.allSatisfy({ $0 >= 0 }) else {
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
