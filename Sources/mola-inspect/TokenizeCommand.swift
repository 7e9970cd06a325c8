import MoLACommandLine
import MoLAFiles
import MoLAText

/// `mola-inspect tokenize --base B TEXT`: the ids and pieces the base's tokenizer gives a text.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "tokenize", summary: "the token ids and pieces of a text, as the base's tokenizer splits it",
        usage: "mola-inspect tokenize --base BASE <text> [options]",
        abstract: "Encodes the text with the base's own tokenizer (special tokens written in the text are matched as the tokenizer matches them; the beginning-of-text token is added where the tokenizer adds it) and lists each token's id and piece.")

    @Argument(valueName: "text", help: "the text to encode") var text: String
    @Option(name: "--base", valueName: "BASE", help: "the base whose tokenizer to use: a GGUF file or a Hugging Face LLaMA directory") var base: FilePath
    @OptionGroup var output: OutputOptions

    func run() throws {
        try OutputSafety.check(outputs: [("--output", output.output?.path)], inputs: [.base(base.path)])
        let tokenizer = try OpenedBase(path: base.path).tokenizer()
        let ids = tokenizer.encode(text, appendEnd: false)
        let pieces = ids.map { tokenizer.piece(of: $0) }
        let rendered: String
        if output.json {
            rendered = JSONValue.object([("tokenizer", .string(tokenizer.description)), ("ids", .array(ids.map(JSONValue.integer))),
                                         ("pieces", .array(pieces.map(JSONValue.string)))]).rendered()
        } else {
            var table = TextTable(headers: ["position", "id", "piece"], rightAligned: [0, 1])
            for (position, (id, piece)) in zip(ids, pieces).enumerated() { table.append([String(position), String(id), piece]) }
            rendered = table.rendered() + "\n\(ids.count) tokens (\(tokenizer.description))"
        }
        try output.destination.write(rendered, format: output.format)
    }
}
