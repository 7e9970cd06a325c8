import Foundation

extension ParsableCommand {
    /// The `--help` text, generated from the configuration and the declarations.
    public static var helpText: String { Self().helpText }

    /// The options as a Markdown table (`--help-markdown`), for the README.
    public static var markdownTable: String { Self().markdownTable }

    var helpText: String {
        let configuration = Self.configuration
        var lines = ["usage: \(configuration.usage)"]
        if !configuration.abstract.isEmpty { lines += [""] + wrapped(configuration.abstract, width: 96) }
        if !configuration.details.isEmpty { lines += ["", configuration.details] }
        if !configuration.subcommands.isEmpty {
            lines += ["", "\(configuration.subcommandNoun)s:"]
            lines += columns(configuration.subcommands.map { ($0.configuration.name, $0.configuration.summary) })
            // The words of the usage line before the first placeholder name the command: `mola-inspect plot`.
            lines += ["", "Run `\(configuration.usage.split(separator: " ").prefix { !$0.hasPrefix("<") }.joined(separator: " ")) <\(configuration.subcommandNoun)> --help` for its options."]
            return lines.joined(separator: "\n")
        }
        let declarations = self.declarations
        let positionals = declarations.filter(\.isPositional)
        if !positionals.isEmpty {
            lines += ["", "arguments:"] + columns(positionals.map { ($0.label, $0.help) })
        }
        lines += ["", "options:"]
        lines += columns(declarations.filter { !$0.isPositional }.map { ($0.label, $0.helpWithDefault) } + [("-h, --help", "show this help")])
        return lines.joined(separator: "\n")
    }

    var markdownTable: String {
        var lines = ["| option | meaning |", "|---|---|"]
        for declaration in declarations {
            lines.append("| `\(escaped(declaration.label))` | \(escaped(declaration.helpWithDefault)) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// `|` would end a Markdown table cell, even inside backticks.
private func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "|", with: "\\|")
}

/// Two columns, the first padded to the widest label plus two spaces.
private func columns(_ rows: [(String, String)]) -> [String] {
    let width = (rows.map(\.0.count).max() ?? 0) + 2
    return rows.map { label, text in "  " + label + String(repeating: " ", count: width - label.count) + text }
}

/// Breaks `text` into lines of at most `width` characters at spaces.
public func wrapped(_ text: String, width: Int) -> [String] {
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
