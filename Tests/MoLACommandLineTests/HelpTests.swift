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
          --count N              how many, by default one per name (at least 1)
          --labels A,B,...       legend names
          --fill                 fill the shape
          --width PX             width in pixels (1 to 100, default 10)
          --ratio X              aspect ratio (at least 0, default 1.5)
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
        | `--count N` | how many, by default one per name (at least 1) |
        | `--labels A,B,...` | legend names |
        | `--fill` | fill the shape |
        | `--width PX` | width in pixels (1 to 100, default 10) |
        | `--ratio X` | aspect ratio (at least 0, default 1.5) |
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

    /// Ranges as help shows them and errors word them, closed, half-open and from a lower bound.
    @Test func rangeWordings() {
        #expect(ValueBounds(1...1024).range == "1 to 1024")
        #expect(ValueBounds(0.0..<1).range == "at least 0 and less than 1")
        #expect(ValueBounds(0.0..<1).wording == "a number of at least 0 and less than 1")
        #expect(!ValueBounds(0.0..<1).contains(1) && ValueBounds(0.0..<1).contains(0))
        #expect(ValueBounds(1...).range == "at least 1")
        #expect(ValueBounds(1...).wording == "an integer of at least 1")
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
