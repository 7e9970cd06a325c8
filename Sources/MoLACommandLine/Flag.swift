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
