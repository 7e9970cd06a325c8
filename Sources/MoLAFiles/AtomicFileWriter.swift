import Foundation
import Glibc

/// A file written under a temporary name beside its destination and renamed into place by
/// `commit()`, so readers see the old file or the whole new one, never a half-written one.
///
/// Every failure removes the temporary file: a thrown error (the writer is dropped without
/// `commit()`), a failed `commit()`, and, once `removeTemporaryFilesOnTermination()` has been
/// called, SIGINT, SIGTERM and SIGHUP.
///
/// A destination that exists and is not a regular file, a directory aside (a device such as
/// `/dev/null` or `/dev/full`, a FIFO, a socket, or a link to one), is written straight to,
/// without a temporary file: nothing can be renamed over a device, and a reader of a pipe would
/// never see the rename. `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and
/// `/proc/self/fd/N` write to the process's own descriptor, at its current offset.
public final class AtomicFileWriter {
    public let path: String
    /// nil when the destination is written in place.
    private var temporary: String?
    private var descriptor: FileDescriptor?

    /// The temporary name beside `path` that a file is written under before the rename.
    static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
    }

    /// - Throws: `AtomicFileError.cannotWrite` when no file can be created beside `path` (or
    ///   `path` itself, written in place, cannot be opened).
    public init(path: String) throws {
        self.path = path
        if Self.isWrittenInPlace(path) {
            temporary = nil
            descriptor = try Self.openInPlace(path)
            return
        }
        let temporary = Self.temporaryPath(for: path)
        self.temporary = temporary
        // A file of this name is a leftover of a killed process that had this one's id.
        _ = unlink(temporary)
        TemporaryFiles.register(temporary)
        do {
            descriptor = try FileDescriptor.createNew(temporary)
        } catch let error as SystemError {
            TemporaryFiles.unregister(temporary)
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            throw AtomicFileError.cannotWrite(path: path, reason: "cannot create a file in \(directory): \(error.message)")
        }
    }

    deinit {
        try? descriptor?.close()
        removeTemporary()
    }

    /// - Throws: `AtomicFileError.cannotWrite` (a full disk, say), or `.brokenPipe` when `path`
    ///   is a pipe whose reader has gone.
    public func write(_ data: Data) throws {
        guard let descriptor else { throw AtomicFileError.cannotWrite(path: path, reason: "already committed") }
        do {
            try descriptor.write(data)
        } catch let error as SystemError {
            throw AtomicFileError(error, path: path)
        }
    }

    /// Flushes the file and renames it to `path` (rename(2) replaces the destination atomically);
    /// a destination written in place is only closed.
    ///
    /// - Throws: `AtomicFileError.cannotWrite`; the temporary file is then removed and `path`
    ///   left as it was.
    public func commit() throws {
        guard let descriptor else { throw AtomicFileError.cannotWrite(path: path, reason: "already committed") }
        self.descriptor = nil
        // Whatever happens, the temporary file is gone when this returns: renamed, or removed.
        defer { removeTemporary() }
        do {
            if temporary != nil { try descriptor.synchronize() }
            try descriptor.close()
        } catch let error as SystemError {
            throw AtomicFileError(error, path: path)
        }
        guard let temporary else { return }
        guard rename(temporary, path) == 0 else {
            throw AtomicFileError.cannotWrite(path: path, reason: SystemError.last.message)
        }
    }

    /// Removes the temporary file if it is still there (after a rename, nothing is).
    /// The corresponding C function is `unlink`.
    private func removeTemporary() {
        guard let temporary else { return }
        _ = unlink(temporary)
        TemporaryFiles.unregister(temporary)
        self.temporary = nil
    }

    /// Lets `produce` write a file at a temporary path (for libraries that write files themselves,
    /// Cairo's PNG and PDF surfaces), then renames it to `path` (or copies it there, for a
    /// destination written in place); a throwing `produce` leaves nothing behind and `path`
    /// untouched.
    ///
    /// - Throws: what `produce` throws, or `AtomicFileError` when the rename fails.
    public static func produce(_ path: String, _ produce: (_ temporaryPath: String) throws -> Void) throws {
        let inPlace = isWrittenInPlace(path)
        let temporary = inPlace
            ? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(".mola-inspect.\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).tmp").path
            : temporaryPath(for: path)
        TemporaryFiles.register(temporary)
        defer {
            _ = unlink(temporary)
            TemporaryFiles.unregister(temporary)
        }
        try produce(temporary)
        if inPlace {
            guard let data = FileManager.default.contents(atPath: temporary) else {
                throw AtomicFileError.cannotWrite(path: path, reason: "the temporary file \(temporary) cannot be read back")
            }
            try write(data, to: path)
        } else if rename(temporary, path) != 0 {
            throw AtomicFileError.cannotWrite(path: path, reason: SystemError.last.message)
        }
    }

    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let writer = try AtomicFileWriter(path: path)
        try writer.write(data)
        try writer.commit()
    }

    /// Installs the removal of temporary files on SIGINT, SIGTERM and SIGHUP (once; the command
    /// line calls it at start). A library does not change how the process handles signals unasked.
    public static func removeTemporaryFilesOnTermination() {
        TemporaryFiles.removeOnTermination()
    }

    /// Whether `path` is written straight to rather than through a temporary file and a rename:
    /// one of the process's own descriptors (`/dev/stdout`), or a path that exists and is neither a
    /// regular file nor a directory.
    public static func isWrittenInPlace(_ path: String) -> Bool {
        if ownDescriptor(path) != nil { return true }
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let type = status.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    /// The descriptor a path names: 1 for `/dev/stdout`, 2 for `/dev/stderr`, N for `/dev/fd/N`
    /// and `/proc/self/fd/N`.
    static func ownDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return STDOUT_FILENO
        case "/dev/stderr": return STDERR_FILENO
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }

    private static func openInPlace(_ path: String) throws -> FileDescriptor {
        do {
            if let number = ownDescriptor(path) { return try FileDescriptor.duplicate(number) }
            return try FileDescriptor.openExisting(path)
        } catch let error as SystemError {
            throw AtomicFileError.cannotWrite(path: path, reason: error.message)
        }
    }

}

/// A file or stream that could not be written.
public enum AtomicFileError: Error, Equatable, CustomStringConvertible {
    /// `reason` is the system's message (`No space left on device`) or what went wrong.
    case cannotWrite(path: String, reason: String)
    /// The reader of a pipe has gone (`EPIPE`; SIGPIPE is ignored by the command line).
    case brokenPipe(path: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        case let .brokenPipe(path): "cannot write \(path): the reading end of the pipe was closed"
        }
    }
}

extension AtomicFileError {
    init(_ error: SystemError, path: String) {
        self = error.isBrokenPipe ? .brokenPipe(path: path) : .cannotWrite(path: path, reason: error.message)
    }
}
