import Foundation

/// Reads and writes the project's JSON files through their `Codable` types: one type per file
/// format, shared by the reader and the writer.
///
/// Reading tolerates fields the type does not declare (the ecosystem adds its own); a declared
/// field of the wrong type is a `JSONDocumentError` naming the file and the field. Writing keeps
/// the type's key order, puts arrays of scalars on one line, and replaces the file atomically.
public enum JSONDocument {
    /// The largest JSON document read, in bytes: configurations and reports are far smaller, and
    /// decoding takes several times the file's size in memory.
    public static let sizeLimit = 256 << 20

    /// Decodes `Value` from the file at `path`.
    ///
    /// - Throws: `InputFileError` when the file cannot be read, `JSONDocumentError` when it is
    ///   not the format.
    public static func read<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value {
        try decode(type, from: InputFile.contents(of: path, limit: sizeLimit), file: path)
    }

    /// Decodes `Value` from `data`, naming `file` in errors.
    ///
    /// - Throws: `JSONDocumentError`.
    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data, file: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw JSONDocumentError(error, file: file)
        }
    }

    /// The value as indented JSON text, keys in the order the type encodes them.
    ///
    /// - Parameter nullForAbsentValues: write absent optionals as `null` (reports, whose every key is
    ///   documented) or leave them out (configuration files).
    public static func rendered<Value: Encodable>(_ value: Value, nullForAbsentValues: Bool = true) throws -> String {
        try JSONValueEncoder(nullForAbsentValues: nullForAbsentValues).encode(value).rendered()
    }

    /// Writes the value to `path` atomically, with a final newline.
    public static func write<Value: Encodable>(_ value: Value, to path: String, nullForAbsentValues: Bool = false) throws {
        let text = try rendered(value, nullForAbsentValues: nullForAbsentValues) + "\n"
        try AtomicFileWriter.write(Data(text.utf8), to: path)
    }
}

/// A JSON file that cannot be used as the format it should have.
public enum JSONDocumentError: Error, Equatable, CustomStringConvertible {
    /// Not JSON, or not the kind of value at the top level (an object, say).
    case notJSON(file: String, reason: String)
    case missingField(file: String, field: String)
    /// A field of the wrong type or out of range; `expected` says what it should be.
    case invalidField(file: String, field: String, expected: String)

    public var description: String {
        switch self {
        case let .notJSON(file, _), let .missingField(file, _), let .invalidField(file, _, _): "\(problem) (\(file))"
        }
    }

    /// What is wrong, without the file's name (for callers that name the file themselves).
    public var problem: String {
        switch self {
        case let .notJSON(_, reason): "not the expected JSON: \(reason)"
        case let .missingField(_, field): "missing field \"\(field)\""
        case let .invalidField(_, field, expected): "field \"\(field)\" should be \(expected)"
        }
    }

    /// The field a decoding error points at, in the file's own spelling (`layers[2].projections.q_proj`).
    static func fieldName(_ path: [any CodingKey]) -> String {
        var name = ""
        for key in path {
            if let index = key.intValue { name += "[\(index)]" } else { name += (name.isEmpty ? "" : ".") + key.stringValue }
        }
        return name.isEmpty ? "(top level)" : name
    }

    init(_ error: DecodingError, file: String) {
        switch error {
        case let .keyNotFound(key, context):
            self = .missingField(file: file, field: Self.fieldName(context.codingPath + [key]))
        case let .valueNotFound(type, context), let .typeMismatch(type, context):
            if context.codingPath.isEmpty {
                self = .notJSON(file: file, reason: "the top level is not \(Self.article(type))")
            } else {
                self = .invalidField(file: file, field: Self.fieldName(context.codingPath), expected: Self.article(type))
            }
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                self = .notJSON(file: file, reason: "not valid JSON")
            } else {
                let expected = context.debugDescription.hasPrefix(JSONExpectation.marker)
                    ? String(context.debugDescription.dropFirst(JSONExpectation.marker.count)) : context.debugDescription
                self = .invalidField(file: file, field: Self.fieldName(context.codingPath), expected: expected)
            }
        @unknown default:
            self = .notJSON(file: file, reason: "\(error)")
        }
    }

    /// What a value of `type` is called in an error: `an integer`, `a list`, ...
    public static func article(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default:
            String(describing: type).hasPrefix("Array") ? "a list" : "an object"
        }
    }
}

/// The error a `Decodable` initialiser throws for a value of the right JSON type but not an
/// acceptable one (a negative count, say); `JSONDocument` reports it as "should be <expected>".
public enum JSONExpectation {
    static let marker = "expected: "

    public static func error<Key: CodingKey>(_ expected: String, forKey key: Key,
                                             in container: KeyedDecodingContainer<Key>) -> DecodingError {
        DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: marker + expected)
    }

    public static func error(_ expected: String, in container: any SingleValueDecodingContainer) -> DecodingError {
        DecodingError.dataCorruptedError(in: container, debugDescription: marker + expected)
    }
}
