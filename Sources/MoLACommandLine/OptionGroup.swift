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
