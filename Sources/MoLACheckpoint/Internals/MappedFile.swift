#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MoLAFiles

/// A read-only memory mapping of a whole file.
///
/// Pages are faulted in only when read, so a reader that touches a few records of a 27 GB
/// trainer checkpoint reads only those. Every access goes through `bytes(at:count:)`, which
/// checks the range against the file size; nothing hands out an unchecked pointer.
package final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from (for error messages).
    package let path: String
    /// Size of the file in bytes.
    package let size: Int
    private let base: UnsafeRawPointer?

    /// Maps `path` read-only.
    ///
    /// - Throws: `InputFileError` when the file cannot be opened or is not a regular file (a
    ///   named pipe is refused, never waited on), `MappedFileError` when it cannot be mapped.
    package init(path: String) throws {
        self.path = path
        (size, base) = try InputFile.withRegularFile(path) { descriptor, size in
            guard size > 0 else { return (0, nil) }
            let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
            guard let mapping, mapping != MAP_FAILED else {
                throw MappedFileError.cannotMap(path: path, reason: String(cString: strerror(errno)))
            }
            return (size, UnsafeRawPointer(mapping))
        }
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// Whether `count` bytes at `offset` lie inside the file (overflow-safe).
    package func contains(offset: Int, count: Int) -> Bool {
        guard offset >= 0, count >= 0 else { return false }
        let (end, overflow) = offset.addingReportingOverflow(count)
        return !overflow && end <= size
    }

    /// The bytes `[offset, offset + count)`, or nil when the range leaves the file.
    ///
    /// The buffer is valid as long as this `MappedFile` is alive.
    package func bytes(at offset: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard contains(offset: offset, count: count) else { return nil }
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: count)
    }
}

/// A regular file that cannot be mapped (opening failures are `InputFileError`s).
public enum MappedFileError: Error, Equatable, CustomStringConvertible {
    case cannotMap(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotMap(path, reason): "cannot map \(path) into memory: \(reason)"
        }
    }
}
