#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The system calls behind `InputFile`, wrapped so that no other file of the target calls them.
enum FileDescriptorCalls {
    /// `open(2)` with `O_NONBLOCK` (a FIFO without a writer would block a plain open), then
    /// `fstat(2)` on the descriptor (not the path, so nothing can swap the file in between).
    ///
    /// The corresponding C functions are `open` and `fstat`.
    static func openRegularFile(_ path: String) throws -> (descriptor: Int32, size: Int) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else {
            throw InputFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw InputFileError.cannotOpen(path: path, reason: reason)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw InputFileError.notARegularFile(path: path, kind: kindName(status.st_mode))
        }
        return (descriptor, Int(status.st_size))
    }

    /// Reads `size` bytes from the start of a regular file.
    ///
    /// The corresponding C function is `read`.
    static func readAll(_ descriptor: Int32, size: Int, path: String) throws -> Data {
        var data = Data(count: size)
        var done = 0
        try data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            while done < size {
                let count = read(descriptor, buffer.baseAddress! + done, size - done)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw InputFileError.readFailed(path: path, reason: String(cString: strerror(errno)))
                }
                guard count > 0 else {
                    throw InputFileError.readFailed(path: path, reason: "the file shrank to \(done) bytes while it was read")
                }
                done += count
            }
        }
        return data
    }

    /// The corresponding C function is `close`.
    static func closeDescriptor(_ descriptor: Int32) {
        _ = close(descriptor)
    }

    /// What a file that is not regular is, in words.
    private static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a named pipe"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}
