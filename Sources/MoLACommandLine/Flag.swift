/// A flag: `--name`, true when given, false otherwise; `--name=value` is a usage error.
///
///     @Flag(name: "--unscaled", help: "leave out s = alpha / r in delta") var unscaled: Bool
@propertyWrapper
public struct Flag: DeclarationProviding {
    let storage: Storage<Bool>
    let declaration: Declaration

    public var wrappedValue: Bool { storage.value ?? false }

    var declarations: [Declaration] { [declaration] }

    public init(name: String, help: String) {
        let storage = Storage<Bool>(false)
        self.storage = storage
        declaration = Declaration(kind: .flag, names: [name], valueName: "", help: help, defaultDescription: nil, isRequired: false,
                                  assign: { _ in storage.value = true },
                                  parsedDescription: { storage.value == true ? "true" : nil })
    }
}

/// A positional argument: one value, an optional one, or all that are left (`[Value]`).
///
///     @Argument(valueName: "checkpoint", help: "an adapter directory or file") var checkpoint: FilePath
@propertyWrapper
public struct Argument<Value>: DeclarationProviding {
    let storage: Storage<Value>
    let declaration: Declaration

    public var wrappedValue: Value {
        guard let value = storage.value else { fatalError("<\(declaration.name)> was read before parsing") }
        return value
    }

    var declarations: [Declaration] { [declaration] }
}

extension Argument where Value: ExpressibleByArgument {
    /// A required positional argument.
    public init(valueName: String, help: String) {
        let storage = Storage<Value>(nil)
        self.storage = storage
        declaration = Declaration(kind: .positional(repeating: false), names: [valueName], valueName: valueName, help: help,
                                  defaultDescription: nil, isRequired: true,
                                  assign: { storage.value = try parseValue($0, option: "<\(valueName)>", check: nil) },
                                  parsedDescription: { storage.value?.argumentDescription })
    }
}

extension Argument {
    /// An optional positional argument.
    public init<Wrapped: ExpressibleByArgument>(valueName: String, help: String) where Value == Wrapped? {
        let storage = Storage<Value>(.some(nil))
        self.storage = storage
        declaration = Declaration(kind: .positional(repeating: false), names: [valueName], valueName: valueName, help: help,
                                  defaultDescription: nil, isRequired: false,
                                  assign: { storage.value = .some(try parseValue($0, option: "<\(valueName)>", check: nil) as Wrapped) },
                                  parsedDescription: { storage.value??.argumentDescription })
    }

    /// All positional arguments left, in order; `isRequired`: at least one.
    public init<Element: ExpressibleByArgument>(valueName: String, help: String, isRequired: Bool = true) where Value == [Element] {
        let storage = Storage<Value>([])
        self.storage = storage
        declaration = Declaration(kind: .positional(repeating: true), names: [valueName], valueName: valueName, help: help,
                                  defaultDescription: nil, isRequired: isRequired,
                                  assign: { storage.value = (storage.value ?? []) + [try parseValue($0, option: "<\(valueName)>", check: nil) as Element] },
                                  parsedDescription: { storage.value.map { $0.map(\.argumentDescription).joined(separator: " ") } })
    }
}

/// Options declared in another type, several commands' alike: their help text must be true for
/// every command that uses them.
///
///     @OptionGroup var threads: ThreadOptions
@propertyWrapper
public struct OptionGroup<Group: ParsableArguments>: DeclarationProviding {
    public var wrappedValue: Group

    public init() { wrappedValue = Group() }

    var declarations: [Declaration] { wrappedValue.declarations }

    func validateGroup() throws {
        var group = wrappedValue
        try group.validateAll()
    }
}
