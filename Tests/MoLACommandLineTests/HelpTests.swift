// Help and the Markdown table, generated from the declarations in ParserTests.swift.
@testable import MoLACommandLine
import Testing

@Suite struct HelpTests {
    @Test func helpListsEveryDeclarationWithItsDeclaredDefault() {
        #expect(Draw.helpText == """
        usage: tool draw <name> [options]

        Draws one shape of the given size.

        Shapes are drawn in order.

        arguments:
          <name>   what to call the drawing
          <extra>  an optional second name

        options:
          -o, --out FILE         where the drawing goes
          --shape circle|square  the shape (default circle)
          --count N              how many (default: one per name)
          --labels A,B,...       legend names
          --fill                 fill the shape
          --width PX             width in pixels (default 10)
          --ratio X              aspect ratio (default 1.5)
          -h, --help             show this help
        """)
    }

    @Test func markdownTableEscapesPipes() {
        #expect(Draw.markdownTable == """
        | option | meaning |
        |---|---|
        | `<name>` | what to call the drawing |
        | `<extra>` | an optional second name |
        | `-o, --out FILE` | where the drawing goes |
        | `--shape circle\\|square` | the shape (default circle) |
        | `--count N` | how many (default: one per name) |
        | `--labels A,B,...` | legend names |
        | `--fill` | fill the shape |
        | `--width PX` | width in pixels (default 10) |
        | `--ratio X` | aspect ratio (default 1.5) |
        """)
    }

    @Test func commandsListTheirSubcommands() {
        #expect(Gallery.helpText == """
        usage: tool <command> [options]

        commands:
          draw  draws a shape

        Run `tool <command> --help` for its options.
        """)
    }

    @Test func defaultsPrintAsTyped() {
        #expect(16.0.argumentDescription == "16")
        #expect(3e-4.argumentDescription == "0.0003")
        #expect(Shape.square.argumentDescription == "square")
        #expect(Shape.defaultValueName == "circle|square")
        #expect(Int(argument: "0x10") == nil)
        #expect(Double(argument: "nan") == nil)
    }

    @Test func wrapsAtSpaces() {
        #expect(wrapped("aa bb cc", width: 5) == ["aa bb", "cc"])
    }
}

@Suite struct TerminalTextTests {
    @Test func controlCharactersAreEscapedAndTheRestKept() {
        #expect(TerminalText.escaped("plain, ünïcode ▽") == "plain, ünïcode ▽")
        #expect(TerminalText.escaped("a\u{1B}[2Jb\r\tc\nd\u{7F}e\u{9B}f\u{0}") == #"a\u{1B}[2Jb\r\tc\nd\u{7F}e\u{9B}f\u{0}"#)
        #expect(TerminalText.escaped("row 1\nrow\u{1B} 2\n", keepingLineBreaks: true) == "row 1\nrow\\u{1B} 2\n")
    }
}
