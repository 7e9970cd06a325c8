/// Text from files (tensor names, config strings, labels) made safe to show on a terminal: the
/// one owner of that escaping, used by every human-readable output (tables, warnings, errors).
///
/// A tensor name can hold `ESC [ 2 J` (clear the screen) or a carriage return that overwrites
/// what came before; shown raw, it rewrites the terminal. Control characters, C0 (U+0000 to
/// U+001F), DEL and C1 (U+0080 to U+009F), are shown as Swift writes them in a string literal:
///
/// ```
/// ESC [ 2 J        ->  \u{1B}[2J
/// tab, CR, LF      ->  \t, \r, \n
/// ```
///
/// Everything else, non-ASCII letters included, is kept.
public enum TerminalText {
    /// `text` with its control characters escaped; with `keepingLineBreaks`, `\n` is kept (for
    /// multi-line output such as tables, whose lines the program itself breaks).
    public static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) && !(keepingLineBreaks && $0 == "\n") }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if !isControl(scalar) || (keepingLineBreaks && scalar == "\n") {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            default: result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
        }
        return result
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
