import Foundation
import Glibc

/// An error number from a system call, with its message.
struct SystemError: Error {
    let code: Int32

    /// The error of the call that just failed.
    static var last: SystemError { SystemError(code: errno) }

    var message: String { String(cString: strerror(code)) }
    var isBrokenPipe: Bool { code == EPIPE }
}

/// A POSIX file descriptor written with every error checked: the one place in `MoLAFiles` that
/// calls `open`, `write`, `fsync` and `close` (Foundation's non-throwing `FileHandle.write(_:)`
/// traps on a full disk or a closed pipe).
struct FileDescriptor {
    let raw: Int32

    /// Creates `path`, which must not exist, for writing (mode 0666 less the umask).
    /// The corresponding C function is `open` with `O_CREAT | O_EXCL`.
    static func createNew(_ path: String) throws -> FileDescriptor {
        let raw = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard raw >= 0 else { throw SystemError.last }
        return FileDescriptor(raw: raw)
    }

    /// Opens an existing `path` for writing, without creating or truncating it (a device, a FIFO).
    /// The corresponding C function is `open`.
    static func openExisting(_ path: String) throws -> FileDescriptor {
        let raw = open(path, O_WRONLY | O_CLOEXEC)
        guard raw >= 0 else { throw SystemError.last }
        return FileDescriptor(raw: raw)
    }

    /// A second descriptor on what `descriptor` refers to, sharing its offset.
    /// The corresponding C function is `dup`.
    static func duplicate(_ descriptor: Int32) throws -> FileDescriptor {
        let raw = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard raw >= 0 else { throw SystemError.last }
        return FileDescriptor(raw: raw)
    }

    /// Writes every byte, retrying after signals and short writes.
    /// The corresponding C function is `write`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Glibc.write(raw, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError.last
            }
            pointer += written
            remaining -= written
        }
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Flushes the file to the disk; descriptors that cannot be synchronised (pipes, terminals,
    /// devices) pass. The corresponding C function is `fsync`.
    func synchronize() throws {
        guard fsync(raw) == 0 || errno == EINVAL || errno == EROFS || errno == ENOTSUP else { throw SystemError.last }
    }

    /// The corresponding C function is `close`; its error (a deferred write failure on some file
    /// systems) is reported.
    func close() throws {
        guard Glibc.close(raw) == 0 || errno == EINTR else { throw SystemError.last }
    }

    /// Whether `descriptor` is open. The corresponding C function is `fcntl` with `F_GETFD`.
    static func isOpen(_ descriptor: Int32) -> Bool {
        fcntl(descriptor, F_GETFD) >= 0 || errno != EBADF
    }

    /// Puts `/dev/null`, opened read-only, on a closed `descriptor`: no file opened later can take
    /// the number, and writes to it fail (`EBADF`). The corresponding C function is `dup2`.
    static func occupyWithReadOnlyNull(_ descriptor: Int32) {
        let null = open("/dev/null", O_RDONLY)
        guard null >= 0 else { return }
        if null != descriptor {
            _ = dup2(null, descriptor)
            _ = Glibc.close(null)
        }
    }
}
