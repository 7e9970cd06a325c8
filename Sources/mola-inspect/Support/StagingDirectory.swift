import Foundation

/// A directory beside a command's output directory where files are written and checked before
/// they are moved into place, so a command that fails leaves the output as it was.
struct StagingDirectory {
    let path: String

    /// Makes `.<name>.staging-<random>` in `output`'s parent directory (created when missing).
    init(for output: String) throws {
        let url = URL(fileURLWithPath: output).standardizedFileURL
        let parent = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        path = parent.appendingPathComponent(".\(url.lastPathComponent).staging-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    /// Moves `names` from here into `directory` (created when missing), each a rename on one file system.
    func move(_ names: [String], into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in names {
            let source = URL(fileURLWithPath: path).appendingPathComponent(name).path
            let target = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            guard rename(source, target) == 0 else {
                throw CommandError.failed("cannot move \(name) into \(directory): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Removes the staging directory and whatever is left in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
