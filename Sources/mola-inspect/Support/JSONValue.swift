/// A JSON value whose objects keep their key order, for stable, documented output.
indirect enum JSONValue {
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
    static func optional(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }

    /// Serialises with two-space indentation; arrays of scalars stay on one line.
    func rendered(indent: Int = 0) -> String {
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
