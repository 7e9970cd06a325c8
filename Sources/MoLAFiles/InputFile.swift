import Foundation

/// The one way this project opens a file it reads: without blocking, only a regular file, and
/// never more bytes than the caller can use.
///
/// A named pipe, a terminal or a device given where a checkpoint, a config or a data file is
/// expected would block `open(2)` or `read(2)` forever, or never end; a directory or a socket
/// cannot be read as a file at all. Each is refused by name before a byte is read. Every
/// reader (the memory-mapped tensor files, the JSON documents, tokenizers, data files) opens
/// through here, so the rule has one owner.
public enum InputFile {
    /// Opens `path` read-only, checks that it is a regular file, and hands the descriptor and
    /// the file's size to `use`; the descriptor is closed when `use` returns.
    ///
    /// - Throws: `InputFileError`, or what `use` throws.
    public static func withRegularFile<Result>(_ path: String,
                                               _ use: (_ descriptor: Int32, _ size: Int) throws -> Result) throws -> Result {
        let (descriptor, size) = try FileDescriptorCalls.openRegularFile(path)
        defer { FileDescriptorCalls.closeDescriptor(descriptor) }
        return try use(descriptor, size)
    }

    /// The whole file at `path`.
    ///
    /// - Parameter limit: the largest size accepted, in bytes; a larger file is refused before
    ///   anything is read (its size is part of the error).
    /// - Throws: `InputFileError`.
    public static func contents(of path: String, limit: Int) throws -> Data {
        try withRegularFile(path) { descriptor, size in
            guard size <= limit else { throw InputFileError.tooLarge(path: path, size: size, limit: limit) }
            return try FileDescriptorCalls.readAll(descriptor, size: size, path: path)
        }
    }
}

/// A file that cannot be read as the input a command asked for.
public enum InputFileError: Error, Equatable, CustomStringConvertible {
    /// `open(2)` or `fstat(2)` failed; `reason` is the system's message.
    case cannotOpen(path: String, reason: String)
    /// Not a regular file; `kind` says what it is (a directory, a named pipe, ...).
    case notARegularFile(path: String, kind: String)
    /// Larger than the reader accepts.
    case tooLarge(path: String, size: Int, limit: Int)
    /// `read(2)` failed or the file shrank while it was read.
    case readFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "cannot open \(path): \(reason)"
        case let .notARegularFile(path, kind): "\(path) is \(kind), not a regular file"
        case let .tooLarge(path, size, limit):
            "\(path) holds \(MemoryBudget.formatted(size)), more than the \(MemoryBudget.formatted(limit)) this reader accepts"
        case let .readFailed(path, reason): "cannot read \(path): \(reason)"
        }
    }
}
