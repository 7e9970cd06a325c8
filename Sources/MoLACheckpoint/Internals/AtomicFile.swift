import Foundation

/// Writes a file by writing a temporary sibling and renaming it into place, so readers see the
/// old file or the whole new one, never a half-written one.
enum AtomicFile {
    /// Errors of the write.
    enum Failure: Error, Equatable, CustomStringConvertible {
        case cannotWrite(path: String, reason: String)
        var description: String {
            switch self {
            case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
            }
        }
    }

    /// Calls `body` with a handle to a temporary file beside `path`, then renames it to `path`.
    static func write(_ path: String, _ body: (FileHandle) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw Failure.cannotWrite(path: path, reason: "cannot create a file in \(url.deletingLastPathComponent().path)")
        }
        do {
            try body(handle)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary, path) == 0 else { throw Failure.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
