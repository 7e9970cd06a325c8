import Foundation

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
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(body.utf8).write(to: temporary)
            // rename(2) replaces the destination atomically.
            guard rename(temporary.path, path) == 0 else {
                throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
        } catch let error as OutputError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw OutputError.cannotWrite(path: path, reason: (error as NSError).localizedDescription)
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
