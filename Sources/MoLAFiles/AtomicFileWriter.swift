import Foundation

/// A file written under a temporary name beside its destination and renamed into place by
/// `commit()`, so readers see the old file or the whole new one, never a half-written one.
/// A writer dropped without `commit()` removes its temporary file.
public final class AtomicFileWriter {
    public let path: String
    private let temporary: String
    private let handle: FileHandle
    private var committed = false

    /// The temporary name beside `path` that a file is written under before the rename.
    static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
    }

    /// - Throws: `AtomicFileError` when no file can be created beside `path`.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporary = Self.temporaryPath(for: path)
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

    /// Lets `produce` write a file at a temporary path (for libraries that write files themselves,
    /// Cairo's PNG and PDF surfaces), then renames it to `path`; a throwing `produce` leaves
    /// nothing behind and `path` untouched.
    ///
    /// - Throws: what `produce` throws, or `AtomicFileError` when the rename fails.
    public static func produce(_ path: String, _ produce: (_ temporaryPath: String) throws -> Void) throws {
        let temporary = temporaryPath(for: path)
        do {
            try produce(temporary)
            guard rename(temporary, path) == 0 else {
                throw AtomicFileError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
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
