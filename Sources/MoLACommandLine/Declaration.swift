/// One declared option, flag or positional argument, as the parser and the help generator see it.
///
/// Each property wrapper makes one when the command type is initialised; the closures write the
/// parsed value into the wrapper's storage, which every copy of the wrapper shares.
final class Declaration {
    enum Kind {
        /// `--name VALUE` or `--name=VALUE`.
        case option
        /// `--name`, no value.
        case flag
        /// A positional argument; `repeating` takes all that are left.
        case positional(repeating: Bool)
    }

    let kind: Kind
    /// Spellings, the primary (`--output`) first, then aliases (`-o`); the value name for positionals.
    let names: [String]
    /// e.g. `FILE`, `N`, `delta|a|b`; empty for flags.
    let valueName: String
    let help: String
    /// The declared default as the user would type it, shown in help; nil when there is none.
    let defaultDescription: String?
    /// The values a number may take (`1 to 1024`, `at least 0`), shown in help; nil when unbounded.
    let rangeDescription: String?
    let isRequired: Bool
    /// Parses one value and stores it (throws `UsageError` for a bad value).
    let assign: (String) throws -> Void
    /// The value after parsing, as text (for fingerprints of a run); nil when unset.
    let parsedDescription: () -> String?
    /// Whether the user gave it.
    var wasGiven = false

    init(kind: Kind, names: [String], valueName: String, help: String, defaultDescription: String?, rangeDescription: String? = nil,
         isRequired: Bool, assign: @escaping (String) throws -> Void, parsedDescription: @escaping () -> String?) {
        self.kind = kind
        self.names = names
        self.valueName = valueName
        self.help = help
        self.defaultDescription = defaultDescription
        self.rangeDescription = rangeDescription
        self.isRequired = isRequired
        self.assign = assign
        self.parsedDescription = parsedDescription
    }

    var name: String { names[0] }

    var isPositional: Bool {
        if case .positional = kind { return true }
        return false
    }

    /// `--metric delta|a|b`, `-o, --output FILE`, `--json`, `<checkpoint>`.
    var label: String {
        switch kind {
        case .positional(let repeating): return "<\(valueName)>" + (repeating ? " ..." : "")
        case .flag: return names.sorted { $0.count < $1.count }.joined(separator: ", ")
        case .option: return names.sorted { $0.count < $1.count }.joined(separator: ", ") + " " + valueName
        }
    }

    /// The help line's text: the declared help, then the declared range and default,
    /// `window length (1 to 65536, default 256)`.
    var helpWithDefault: String {
        let notes = [rangeDescription, defaultDescription.map { "default \($0.isEmpty ? "\"\"" : $0)" }].compactMap { $0 }
        guard !notes.isEmpty else { return help }
        return help + " (" + notes.joined(separator: ", ") + ")"
    }
}

/// Storage a property wrapper shares with its copies: the command reads what the parser wrote.
final class Storage<Value> {
    var value: Value?
    init(_ value: Value?) { self.value = value }
}

/// What a property wrapper contributes to its command: its declarations, its group's validation.
protocol DeclarationProviding {
    var declarations: [Declaration] { get }
    func validateGroup() throws
}

extension DeclarationProviding {
    func validateGroup() throws {}
}

extension ParsableArguments {
    /// Every declaration in this value's properties, option groups flattened in place.
    var declarations: [Declaration] {
        Mirror(reflecting: self).children.flatMap { ($0.value as? DeclarationProviding)?.declarations ?? [] }
    }

    /// Runs `validate()` of every option group (depth first), then this value's own.
    mutating func validateAll() throws {
        for child in Mirror(reflecting: self).children {
            try (child.value as? DeclarationProviding)?.validateGroup()
        }
        try validate()
    }
}
