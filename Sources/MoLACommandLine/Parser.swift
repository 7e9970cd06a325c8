/// Help asked for with `-h`/`--help` (or the hidden `--help-markdown`): the text to print, exit 0.
public struct HelpRequest: Error, Equatable {
    public let text: String
}

/// `parse` saw `--help` (or `--help-markdown`); the command turns it into a `HelpRequest`.
struct HelpWanted: Error {
    let markdown: Bool
}

extension ParsableArguments {
    /// Parses `arguments` (`--name value`, `--name=value`, flags, positionals; `--` ends options)
    /// into a fresh value and validates it.
    ///
    /// - Throws: `UsageError` for a mistake; `HelpRequest` when `-h`/`--help` appears anywhere
    ///   (`HelpWanted` here; values are not checked then, so help works on a half-written command line).
    static func parse(_ arguments: [String]) throws -> Self {
        var parsed = Self()
        let declarations = parsed.declarations
        let named = declarations.filter { !$0.isPositional }
        var given: [(Declaration, String)] = []
        var positionals: [String] = []
        var wantsHelp = false, wantsMarkdown = false
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            switch argument {
            case "--": optionsEnded = true; continue
            case "--help", "-h": wantsHelp = true; continue
            case "--help-markdown": wantsMarkdown = true; continue
            default: break
            }
            let (name, inlineValue): (String, String?) = {
                guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
                return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
            }()
            guard let declaration = named.first(where: { $0.names.contains(name) }) else {
                throw UsageError("unknown option \(name)" + suggestion(for: name, among: named.flatMap(\.names)))
            }
            if case .flag = declaration.kind {
                guard inlineValue == nil else { throw UsageError("\(name) takes no value") }
                given.append((declaration, ""))
                continue
            }
            if let inlineValue {
                given.append((declaration, inlineValue))
            } else {
                guard index < arguments.count else { throw UsageError("\(name) needs a value (\(declaration.valueName))") }
                given.append((declaration, arguments[index]))
                index += 1
            }
        }
        if wantsHelp || wantsMarkdown { throw HelpWanted(markdown: !wantsHelp) }
        for (declaration, value) in given {
            declaration.wasGiven = true
            try declaration.assign(value)
        }
        try assignPositionals(positionals, to: declarations.filter(\.isPositional))
        if let missing = declarations.first(where: { $0.isRequired && !$0.wasGiven }) {
            throw UsageError(missing.isPositional ? "missing <\(missing.valueName)> (\(missing.help))"
                                                  : "missing \(missing.name) \(missing.valueName) (\(missing.help))")
        }
        try parsed.validateAll()
        return parsed
    }

    /// Hands positionals out in declaration order; one declared as a list takes all that are left.
    private static func assignPositionals(_ values: [String], to declarations: [Declaration]) throws {
        var remaining = values[...]
        for declaration in declarations {
            guard case .positional(let repeating) = declaration.kind else { continue }
            while let value = remaining.first {
                remaining = remaining.dropFirst()
                declaration.wasGiven = true
                try declaration.assign(value)
                if !repeating { break }
            }
        }
        if let extra = remaining.first { throw UsageError("unexpected argument \"\(extra)\"") }
    }

    /// Every option and flag that has a value after parsing, by its primary name, its value as
    /// parsed (`--lr 3e-4` and `--lr 0.0003` both read `0.0003`); unset optionals and flags
    /// left out, defaults included.
    public var parsedOptionValues: [(name: String, value: String)] {
        declarations.filter { !$0.isPositional }.compactMap { declaration in
            declaration.parsedDescription().map { (declaration.name, $0) }
        }
    }
}

/// ` (did you mean --metric?)` when a declared name is within 3 edits of `name`, else empty.
func suggestion(for name: String, among names: [String]) -> String {
    guard let nearest = names.min(by: { editDistance($0, name) < editDistance($1, name) }),
          editDistance(nearest, name) <= 3 else { return "" }
    return " (did you mean \(nearest)?)"
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ first: String, _ second: String) -> Int {
    let a = Array(first), b = Array(second)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
