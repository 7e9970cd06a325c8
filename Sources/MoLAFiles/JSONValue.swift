/// A JSON value whose objects keep their key order, for stable, documented output. Built by
/// `JSONValueEncoder` from the report types, or by hand for output nothing reads back.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    /// Written with the shortest representation that reads back exactly; NaN and infinities
    /// are written as `null`.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// A number, or null when absent.
    public static func optional(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }

    /// A single-precision number written with the shortest digits that read back as that `Float`
    /// (`0.6704801`, not the `0.6704801321029663` of its `Double`); NaN and infinities are `null`.
    public static func float(_ value: Float) -> JSONValue {
        // The Double nearest the Float's shortest digits prints as those digits.
        value.isFinite ? .number(Double(value.description) ?? Double(value)) : .null
    }

    /// Serialises with two-space indentation; arrays of scalars stay on one line.
    public func rendered(indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        let inner = String(repeating: " ", count: indent + 2)
        switch self {
        case .null: return "null"
        case let .bool(value): return value ? "true" : "false"
        case let .integer(value): return String(value)
        case let .number(value): return value.isFinite ? "\(value)" : "null"
        case let .string(value): return Self.quoted(value)
        case let .array(items):
            if items.allSatisfy(\.isScalarOrFlatArray) {
                return "[" + items.map { $0.rendered() }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { inner + $0.rendered(indent: indent + 2) }.joined(separator: ",\n") + "\n\(pad)]"
        case let .object(fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.map { inner + Self.quoted($0.0) + ": " + $0.1.rendered(indent: indent + 2) }
                .joined(separator: ",\n") + "\n\(pad)}"
        }
    }

    /// Serialises on one line, `{"key": value, ...}` and `[a, b]`: one record of a JSON Lines file.
    public func renderedOnOneLine() -> String {
        switch self {
        case .null, .bool, .integer, .number, .string: rendered()
        case let .array(items): "[" + items.map { $0.renderedOnOneLine() }.joined(separator: ", ") + "]"
        case let .object(fields):
            "{" + fields.map { Self.quoted($0.0) + ": " + $0.1.renderedOnOneLine() }.joined(separator: ", ") + "}"
        }
    }

    private var isScalarOrFlatArray: Bool {
        switch self {
        case .object: false
        case let .array(items): items.allSatisfy { if case .array = $0 { false } else if case .object = $0 { false } else { true } }
        default: true
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension JSONValue: Decodable {
    /// Any JSON value, for fields whose content is only checked, not used (objects lose their key order).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self).sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
    }
}

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .integer(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(items): try container.encode(items)
        case let .object(fields): try container.encode(Dictionary(fields, uniquingKeysWith: { $1 }))
        }
    }
}

extension JSONValue: Equatable {
    public static func == (left: JSONValue, right: JSONValue) -> Bool {
        switch (left, right) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.integer(a), .integer(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }
}
