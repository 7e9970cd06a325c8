import Foundation
import MoLACheckpoint
import MoLAFiles

/// Where a command's result goes: standard output, or a file written atomically.
///
/// A file is written to a temporary name in its directory and renamed into place only once
/// complete, so a failing command never leaves a half-written file or clobbers a good one.
struct OutputDestination {
    /// nil for standard output.
    let path: String?

    func write(_ text: String) throws {
        let body = text.hasSuffix("\n") ? text : text + "\n"
        guard let path else {
            FileHandle.standardOutput.write(Data(body.utf8))
            return
        }
        do {
            try AtomicFileWriter.write(Data(body.utf8), to: path)
        } catch let AtomicFileError.cannotWrite(_, reason) {
            throw OutputError.cannotWrite(path: path, reason: reason)
        }
    }
}

enum OutputError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)

    var description: String {
        switch self {
        case let .cannotWrite(path, reason): "cannot write the output: \(reason) (\(path))"
        }
    }
}
