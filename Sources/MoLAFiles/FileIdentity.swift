import Foundation
import Glibc

/// What a path refers to on the disk: its device and inode, as `stat(2)` reports them after
/// following symbolic links. Two spellings of one file (`x` and `./x`, a symbolic link, a hard
/// link) have one identity.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// The identity of what `path` refers to, or nil when nothing is there.
    /// The corresponding C function is `stat`.
    public init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    /// The identity of what an open descriptor refers to (1: standard output).
    /// The corresponding C function is `fstat`.
    public init?(descriptor: Int32) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}

/// The files a command reads, by identity, so that an output that would replace one of them is
/// caught however its path is spelled: the owner of the rule "no output replaces an input".
///
/// A path that does not exist is not recorded: it cannot be replaced, and its reader reports it.
public struct InputFiles: Sendable {
    /// Each identity with the input's path as given, for the message.
    private var inputs: [FileIdentity: String] = [:]

    public init() {}

    /// Records a file (or a directory) the command reads.
    public mutating func add(_ path: String) {
        guard let identity = FileIdentity(path: path), inputs[identity] == nil else { return }
        inputs[identity] = path
    }

    /// Records `directory` and the files of `names` in it that the command reads.
    public mutating func add(directory: String, reading names: [String]) {
        add(directory)
        for name in names { add((directory as NSString).appendingPathComponent(name)) }
    }

    /// The input (as given) that writing `path` would replace, or nil.
    public func input(replacedBy path: String) -> String? {
        FileIdentity(path: path).flatMap { inputs[$0] }
    }
}
