/// One option a subcommand accepts.
struct OptionSpec {
    /// e.g. `--metric`.
    let name: String
    /// e.g. `METRIC`; nil for a flag that takes no value.
    let valueName: String?
    let help: String
}

/// A subcommand's arguments after parsing: positionals in order, option values by name.
struct ParsedArguments {
    var positionals: [String] = []
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var wantsHelp = false

    func value(_ name: String) -> String? { values[name] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// An integer option within `range`, or nil when absent.
    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError("\(name) expects an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }
}

/// A mistake in how the command was called (exit status 64, with a pointer to --help).
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Parses `--name value`, `--name=value`, flags and positionals against `options`.
///
/// `--help`/`-h` anywhere asks for help; `--` ends options.
func parseArguments(_ arguments: [String], options: [OptionSpec]) throws -> ParsedArguments {
    var parsed = ParsedArguments()
    var index = 0
    var optionsEnded = false
    while index < arguments.count {
        let argument = arguments[index]
        index += 1
        if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
            parsed.positionals.append(argument)
            continue
        }
        if argument == "--" {
            optionsEnded = true
            continue
        }
        if argument == "--help" || argument == "-h" {
            parsed.wantsHelp = true
            continue
        }
        let (name, inlineValue): (String, String?) = {
            guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }()
        guard let spec = options.first(where: { $0.name == name }) else {
            let suggestion = options.map(\.name).min { editDistance($0, name) < editDistance($1, name) }
            let hint = suggestion.map { editDistance($0, name) <= 3 ? " (did you mean \($0)?)" : "" } ?? ""
            throw UsageError("unknown option \(name)\(hint)")
        }
        if spec.valueName == nil {
            guard inlineValue == nil else { throw UsageError("\(name) takes no value") }
            parsed.flags.insert(name)
            continue
        }
        if let inlineValue {
            parsed.values[name] = inlineValue
        } else {
            guard index < arguments.count else { throw UsageError("\(name) needs a value (\(spec.valueName!))") }
            parsed.values[name] = arguments[index]
            index += 1
        }
    }
    return parsed
}

/// Levenshtein distance, for "did you mean" suggestions.
private func editDistance(_ first: String, _ second: String) -> Int {
    let a = Array(first), b = Array(second)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// The help text of a subcommand: usage, summary, options.
func helpText(usage: String, summary: String, options: [OptionSpec], details: String = "") -> String {
    var lines = ["usage: \(usage)", ""] + wrapped(summary, width: 96)
    if !details.isEmpty { lines += ["", details] }
    lines += ["", "options:"]
    let all = options + [OptionSpec(name: "-h, --help", valueName: nil, help: "show this help")]
    let labels = all.map { spec in spec.valueName.map { "\(spec.name) \($0)" } ?? spec.name }
    let width = (labels.map(\.count).max() ?? 0) + 2
    for (label, spec) in zip(labels, all) {
        lines.append("  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + spec.help)
    }
    return lines.joined(separator: "\n")
}

/// Breaks `text` into lines of at most `width` characters at spaces.
func wrapped(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty && line.count + 1 + word.count > width {
            lines.append(line)
            line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}
