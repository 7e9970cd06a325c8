import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles

/// Where a command's result goes: standard output, or a file written atomically.
///
/// A file is written to a temporary name in its directory and renamed into place only once
/// complete, so a failing command never leaves a half-written file or clobbers a good one.
/// `-` and `/dev/stdout` mean standard output; a device or a FIFO is written straight to
/// (`AtomicFileWriter`). A table has the control characters of file contents escaped
/// (`TerminalText`); JSON escapes its own, and CSV is left as the data are.
struct OutputDestination {
    /// nil for standard output.
    let path: String?

    /// `path` as given on the command line: nil, `-` and `/dev/stdout` are standard output.
    init(path: String?) {
        self.path = path.flatMap(Self.isStandardOutput) == true ? nil : path
    }

    /// Whether a command-line path names standard output.
    static func isStandardOutput(_ path: String) -> Bool { path == "-" || path == "/dev/stdout" }

    /// Writes `text` (with a final newline) in `format`.
    ///
    /// - Throws: `OutputError.cannotWrite` for a file; `AtomicFileError` for standard output
    ///   (a closed pipe there ends the command quietly).
    func write(_ text: String, format: OutputFormat) throws {
        var body = text.hasSuffix("\n") ? text : text + "\n"
        if format == .table { body = TerminalText.escaped(body, keepingLineBreaks: true) }
        guard let path else {
            try StandardStream.output.write(body)
            return
        }
        do {
            try AtomicFileWriter.write(Data(body.utf8), to: path)
        } catch let AtomicFileError.cannotWrite(_, reason) {
            throw OutputError.cannotWrite(path: path, reason: reason)
        } catch AtomicFileError.brokenPipe {
            throw OutputError.cannotWrite(path: path, reason: "the reading end of the pipe was closed")
        }
    }
}

enum OutputError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)
    /// An output (`option`, at `output`) is a file the command reads.
    case replacesInput(option: String, output: String, input: String)
    /// Two outputs name one file (or both standard output).
    case sameFile(options: [String], path: String)

    var description: String {
        switch self {
        case let .cannotWrite(path, reason): "cannot write the output: \(reason) (\(path))"
        case let .replacesInput(option, output, input):
            output == input ? "\(option) would replace an input of the command; choose another file (\(output))"
                            : "\(option) would replace an input of the command, \(input); choose another file (\(output))"
        case let .sameFile(options, path): "\(options.joined(separator: " and ")) name the same file (\(path))"
        }
    }
}
