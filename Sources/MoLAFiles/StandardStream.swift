import Foundation
import Glibc

/// Standard output or standard error, written with every error checked.
///
/// Foundation's `FileHandle.write(_:)` traps on a full disk or a closed descriptor, and `print`
/// drops errors unseen; commands write their results through `StandardStream.output`, so that
/// a full disk (`> /dev/full`) or a closed standard output (`>&-`) is an error, not a crash or
/// a silent success. Writes are unbuffered: each call is one `write(2)` loop.
public struct StandardStream: Sendable {
    public static let output = StandardStream(descriptor: STDOUT_FILENO, name: "standard output")
    public static let error = StandardStream(descriptor: STDERR_FILENO, name: "standard error")

    let descriptor: Int32
    /// How errors name the stream.
    public let name: String

    /// Writes all of `text`.
    ///
    /// - Throws: `AtomicFileError.cannotWrite` (a full disk, a closed descriptor), or
    ///   `.brokenPipe` when the reader of a pipe has gone.
    public func write(_ text: String) throws {
        do {
            try FileDescriptor(raw: descriptor).write(Data(text.utf8))
        } catch let error as SystemError {
            throw AtomicFileError(error, path: name)
        }
    }

    /// Writes a diagnostic (a warning, an error, progress) and ignores failure: where standard
    /// error cannot be written there is nowhere left to say so, and the exit status still tells.
    public func writeDiagnostic(_ text: String) {
        try? write(text)
    }

    /// Prepares the process's standard streams, once at start: SIGPIPE is ignored, so a closed
    /// pipe is an `EPIPE` error the caller handles rather than a silent death, and a closed
    /// descriptor 0, 1 or 2 gets `/dev/null` opened read-only in its place, so that no file
    /// opened later takes its number (and receives the output meant for the stream) while writes
    /// to the stream still fail. The corresponding C function is `signal`.
    public static func prepare() {
        signal(SIGPIPE, SIG_IGN)
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where !FileDescriptor.isOpen(descriptor) {
            FileDescriptor.occupyWithReadOnlyNull(descriptor)
        }
    }
}
