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
