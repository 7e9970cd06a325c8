import Foundation

/// A file written under a temporary name beside its destination and renamed into place by
/// `commit()`, so readers see the old file or the whole new one, never a half-written one.
/// A writer dropped without `commit()` removes its temporary file.
public final class AtomicFileWriter {
    public let path: String
    private let temporary: String
    private let handle: FileHandle
    private var committed = false

    /// - Throws: `AtomicFileError` when no file can be created beside `path`.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw AtomicFileError.cannotWrite(path: path, reason: "cannot create a file in \(url.deletingLastPathComponent().path)")
        }
        self.handle = handle
    }

    deinit {
        guard !committed else { return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }

    public func write(_ data: Data) throws {
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw AtomicFileError.cannotWrite(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Flushes the file and renames it to `path` (rename(2) replaces the destination atomically).
    public func commit() throws {
        try handle.synchronize()
        try handle.close()
        guard rename(temporary, path) == 0 else {
            throw AtomicFileError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        committed = true
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(data)
        try writer.commit()
    }
}

/// A file that could not be written.
public enum AtomicFileError: Error, Equatable, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        }
    }
}
