/// A type an option's or argument's text converts to.
///
/// Enums for choices get everything from `CaseIterable` and a `String` raw value:
///
///     enum Format: String, CaseIterable, ExpressibleByArgument { case safetensors, bin }
public protocol ExpressibleByArgument {
    /// The value `argument` spells, or nil when it spells none.
    init?(argument: String)
    /// The value as the user would type it: shown as a default in help, and in fingerprints.
    var argumentDescription: String { get }
    /// What a value is, for errors: `an integer`, `a number`.
    static var valueKind: String { get }
    /// The value name help shows when the declaration gives none: `N`, `X`, `delta|a|b`.
    static var defaultValueName: String { get }
    /// The error for text that is no value of this type.
    static func invalidArgumentMessage(_ argument: String, option: String) -> String
}

extension ExpressibleByArgument {
    public var argumentDescription: String { String(describing: self) }
    public static var valueKind: String { "a value" }
    public static var defaultValueName: String { "VALUE" }
    public static func invalidArgumentMessage(_ argument: String, option: String) -> String {
        "\(option) expects \(valueKind), got \"\(argument)\""
    }
}

extension ExpressibleByArgument where Self: CaseIterable & RawRepresentable, RawValue == String {
    public init?(argument: String) { self.init(rawValue: argument) }
    public var argumentDescription: String { rawValue }
    public static var defaultValueName: String { allCases.map(\.rawValue).joined(separator: "|") }
    public static var valueKind: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    public static func invalidArgumentMessage(_ argument: String, option: String) -> String {
        "\(option) \"\(argument)\" is not one of " + allCases.map(\.rawValue).joined(separator: ", ")
    }
}

extension String: ExpressibleByArgument {
    public init?(argument: String) { self = argument }
    public var argumentDescription: String { self }
    public static var defaultValueName: String { "TEXT" }
}

extension Int: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument, radix: 10) }
    public static var valueKind: String { "an integer" }
    public static var defaultValueName: String { "N" }
}

extension Double: ExpressibleByArgument {
    /// Finite numbers only: `3e-4`, `0.0003`.
    public init?(argument: String) {
        guard let value = Double(argument), value.isFinite else { return nil }
        self = value
    }
    /// Whole numbers without `.0` (`16`), others as Swift prints them (`0.0003`, `1e+30`).
    public var argumentDescription: String {
        rounded() == self && abs(self) < 1e15 ? String(Int(self)) : String(describing: self)
    }
    public static var valueKind: String { "a number" }
    public static var defaultValueName: String { "X" }
}

/// A path to a file or directory, as given (relative paths stay relative); never empty.
public struct FilePath: ExpressibleByArgument, Hashable, Sendable, CustomStringConvertible {
    public let path: String
    public init(_ path: String) { self.path = path }
    public init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        path = argument
    }
    public var description: String { path }
    public var argumentDescription: String { path }
    public static var valueKind: String { "a path" }
    public static var defaultValueName: String { "FILE" }
}

/// The bounds a numeric value must lie within, and their wording in errors and help.
struct ValueBounds<Value: Comparable & ExpressibleByArgument> {
    let lower: Value?
    let upper: Value?
    /// Whether `upper` itself is excluded (`0..<1`).
    let excludesUpper: Bool

    init(_ range: ClosedRange<Value>) { (lower, upper, excludesUpper) = (range.lowerBound, range.upperBound, false) }
    init(_ range: Range<Value>) { (lower, upper, excludesUpper) = (range.lowerBound, range.upperBound, true) }
    init(_ range: PartialRangeFrom<Value>) { (lower, upper, excludesUpper) = (range.lowerBound, nil, false) }

    func contains(_ value: Value) -> Bool {
        (lower.map { value >= $0 } ?? true) && (upper.map { excludesUpper ? value < $0 : value <= $0 } ?? true)
    }

    /// `1 to 1024`, `at least 0`, `at least 0 and less than 1`: for help.
    var range: String {
        switch (lower, upper) {
        case let (lower?, upper?) where excludesUpper: "at least \(lower.argumentDescription) and less than \(upper.argumentDescription)"
        case let (lower?, upper?): "\(lower.argumentDescription) to \(upper.argumentDescription)"
        case let (lower?, nil): "at least \(lower.argumentDescription)"
        case let (nil, upper?): excludesUpper ? "less than \(upper.argumentDescription)" : "at most \(upper.argumentDescription)"
        case (nil, nil): "any"
        }
    }

    /// `an integer from 1 to 1024`, `a number of at least 0`: for errors.
    var wording: String {
        switch (lower, upper) {
        case let (lower?, upper?) where excludesUpper:
            "\(Value.valueKind) of at least \(lower.argumentDescription) and less than \(upper.argumentDescription)"
        case let (lower?, upper?): "\(Value.valueKind) from \(lower.argumentDescription) to \(upper.argumentDescription)"
        case let (lower?, nil): "\(Value.valueKind) of at least \(lower.argumentDescription)"
        case (nil, _): "\(Value.valueKind) \(range)"
        }
    }
}

/// Parses `text` as one `Value` for `option`; `check` returns what was expected when the value is out of bounds.
///
/// - Parameter expected: what a bounded number must be (`an integer from 1 to 1024`), said also
///   when the text is no number of the type at all (`2^63` is no `Int`).
func parseValue<Value: ExpressibleByArgument>(_ text: String, option: String, check: ((Value) -> String?)?,
                                              expected: String? = nil) throws -> Value {
    guard let value = Value(argument: text) else {
        throw UsageError(expected.map { "\(option) expects \($0), got \"\(text)\"" } ?? Value.invalidArgumentMessage(text, option: option))
    }
    if let message = check?(value) { throw UsageError("\(option) expects \(message), got \"\(text)\"") }
    return value
}

extension ValueBounds {
    /// A check for `parseValue`: nil when within bounds, else the wording.
    var check: (Value) -> String? {
        { value in self.contains(value) ? nil : self.wording }
    }
}
