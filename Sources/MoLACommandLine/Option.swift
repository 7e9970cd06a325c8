import Foundation

/// An option that takes a value: `--name VALUE` or `--name=VALUE`; the last one given wins.
///
///     @Option(name: "--length", help: "window length", in: 1...65_536) var length = 256
///     @Option(name: "--steps", help: "optimizer steps instead of --epochs", in: 1...) var steps: Int?
///     @Option(name: "--out", valueName: "DIR", help: "where the checkpoint goes") var out: FilePath
///
/// A declared range and default are shown in help as `(1 to 65536, default 256)`, so help cannot
/// disagree with them; a value outside the range is a usage error. An optional has no default:
/// its help says what happens without it. A non-optional without a default is required.
@propertyWrapper
public struct Option<Value>: DeclarationProviding {
    let storage: Storage<Value>
    let declaration: Declaration

    public var wrappedValue: Value {
        guard let value = storage.value else { fatalError("\(declaration.name) was read before parsing") }
        return value
    }

    var declarations: [Declaration] { [declaration] }

    private init<Parsed: ExpressibleByArgument>(initial: Value?, names: [String], valueName: String?, help: String, isRequired: Bool,
                                                showsDefault: Bool, check: ((Parsed) -> String?)?, range: String? = nil,
                                                expected: String? = nil,
                                                wrap: @escaping (Parsed) -> Value, describe: @escaping (Value) -> String?) {
        let storage = Storage<Value>(initial)
        self.storage = storage
        let name = names[0]
        declaration = Declaration(
            kind: .option, names: names, valueName: valueName ?? Parsed.defaultValueName, help: help,
            defaultDescription: showsDefault ? initial.flatMap(describe) : nil, rangeDescription: range, isRequired: isRequired,
            assign: { text in storage.value = wrap(try parseValue(text, option: name, check: check, expected: expected)) },
            parsedDescription: { storage.value.flatMap(describe) })
    }

    /// A bounded number: its check and its wording in help.
    private init<Parsed: ExpressibleByArgument & Comparable>(initial: Value?, name: String, valueName: String?, help: String,
                                                             showsDefault: Bool, bounds: ValueBounds<Parsed>,
                                                             wrap: @escaping (Parsed) -> Value, describe: @escaping (Value) -> String?) {
        self.init(initial: initial, names: [name], valueName: valueName, help: help, isRequired: false, showsDefault: showsDefault,
                  check: bounds.check, range: bounds.range, expected: bounds.wording, wrap: wrap, describe: describe)
    }
}

extension Option where Value: ExpressibleByArgument {
    /// An option with a default.
    public init(wrappedValue: Value, name: String, aliases: [String] = [], valueName: String? = nil, help: String) {
        self.init(initial: wrappedValue, names: [name] + aliases, valueName: valueName, help: help, isRequired: false,
                  showsDefault: true, check: nil as ((Value) -> String?)?, wrap: { $0 }, describe: { $0.argumentDescription })
    }

    /// A required option.
    public init(name: String, aliases: [String] = [], valueName: String? = nil, help: String) {
        self.init(initial: nil, names: [name] + aliases, valueName: valueName, help: help, isRequired: true,
                  showsDefault: false, check: nil as ((Value) -> String?)?, wrap: { $0 }, describe: { $0.argumentDescription })
    }
}

extension Option where Value: ExpressibleByArgument & Comparable {
    /// A number with a default, within `range`.
    public init(wrappedValue: Value, name: String, valueName: String? = nil, help: String, in range: ClosedRange<Value>) {
        self.init(initial: wrappedValue, name: name, valueName: valueName, help: help, showsDefault: true, bounds: ValueBounds(range),
                  wrap: { $0 }, describe: { $0.argumentDescription })
    }

    /// A number with a default, within `range` (its upper bound excluded: `0..<1`).
    public init(wrappedValue: Value, name: String, valueName: String? = nil, help: String, in range: Range<Value>) {
        self.init(initial: wrappedValue, name: name, valueName: valueName, help: help, showsDefault: true, bounds: ValueBounds(range),
                  wrap: { $0 }, describe: { $0.argumentDescription })
    }

    /// A number with a default, at least `range.lowerBound`.
    public init(wrappedValue: Value, name: String, valueName: String? = nil, help: String, in range: PartialRangeFrom<Value>) {
        self.init(initial: wrappedValue, name: name, valueName: valueName, help: help, showsDefault: true, bounds: ValueBounds(range),
                  wrap: { $0 }, describe: { $0.argumentDescription })
    }
}

extension Option {
    /// An optional option: nil when not given.
    public init<Wrapped: ExpressibleByArgument>(name: String, aliases: [String] = [], valueName: String? = nil, help: String)
    where Value == Wrapped? {
        self.init(initial: .some(nil), names: [name] + aliases, valueName: valueName, help: help, isRequired: false,
                  showsDefault: false, check: nil as ((Wrapped) -> String?)?, wrap: { $0 }, describe: { $0?.argumentDescription })
    }

    /// An optional number within `range`.
    public init<Wrapped: ExpressibleByArgument & Comparable>(name: String, valueName: String? = nil, help: String,
                                                             in range: ClosedRange<Wrapped>) where Value == Wrapped? {
        self.init(initial: .some(nil), name: name, valueName: valueName, help: help, showsDefault: false, bounds: ValueBounds(range),
                  wrap: { $0 }, describe: { $0?.argumentDescription })
    }

    /// An optional number of at least `range.lowerBound`.
    public init<Wrapped: ExpressibleByArgument & Comparable>(name: String, valueName: String? = nil, help: String,
                                                             in range: PartialRangeFrom<Wrapped>) where Value == Wrapped? {
        self.init(initial: .some(nil), name: name, valueName: valueName, help: help, showsDefault: false, bounds: ValueBounds(range),
                  wrap: { $0 }, describe: { $0?.argumentDescription })
    }

    /// An optional list given as one argument separated by commas (`--labels a,b,c`); items are
    /// trimmed, empty items kept (so the count is what the user typed).
    public init<Element: ExpressibleByArgument>(name: String, valueName: String? = nil, help: String, commaSeparated: Void)
    where Value == [Element]? {
        self.init(initial: .some(nil), names: [name], valueName: valueName, help: help, isRequired: false, showsDefault: false,
                  check: nil as ((CommaList<Element>) -> String?)?, wrap: { $0.items },
                  describe: { $0.map { $0.map(\.argumentDescription).joined(separator: ",") } })
    }
}

extension Option {
    /// An option that may be given several times, each value appended in order
    /// (`--text A --text B`); empty when not given.
    public init<Element: ExpressibleByArgument>(name: String, valueName: String? = nil, help: String, repeating: Void)
    where Value == [Element] {
        let storage = Storage<Value>([])
        self.storage = storage
        declaration = Declaration(
            kind: .option, names: [name], valueName: valueName ?? Element.defaultValueName, help: help + " (may be repeated)",
            defaultDescription: nil, isRequired: false,
            assign: { text in storage.value = (storage.value ?? []) + [try parseValue(text, option: name, check: nil as ((Element) -> String?)?)] },
            parsedDescription: { storage.value.flatMap { $0.isEmpty ? nil : $0.map(\.argumentDescription).joined(separator: "\u{1F}") } })
    }
}

/// A comma-separated list of values, parsed item by item.
struct CommaList<Element: ExpressibleByArgument>: ExpressibleByArgument {
    let items: [Element]
    init?(argument: String) {
        var items: [Element] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let item = Element(argument: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            items.append(item)
        }
        self.items = items
    }
    static var valueKind: String { "a comma-separated list of \(Element.valueKind)" }
    static var defaultValueName: String { "A,B,..." }
}
