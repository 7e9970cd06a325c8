import Foundation

/// Where a target puts the files a path-taking parser reads: a fresh directory per run, in
/// memory (`/dev/shm`) where the machine has it, removed when the run ends. Runs on several
/// threads at once (the test suite's) never share a directory.
enum FuzzScratch {
    /// `/dev/shm` when it is a writable directory, else the system's temporary directory.
    static let root: URL = {
        let shm = "/dev/shm"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: shm, isDirectory: &isDirectory), isDirectory.boolValue,
           FileManager.default.isWritableFile(atPath: shm) {
            return URL(fileURLWithPath: shm)
        }
        return FileManager.default.temporaryDirectory
    }()

    /// Runs `body` with a new empty directory, removed afterwards whatever `body` does.
    static func withDirectory<Result>(_ body: (Directory) throws -> Result) throws -> Result {
        let url = root.appendingPathComponent("mola-fuzz-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(Directory(url: url))
    }

    /// One run's directory.
    struct Directory {
        let url: URL

        var path: String { url.path }

        /// Writes `bytes` to `name` in the directory and returns its path.
        @discardableResult
        func write(_ bytes: UnsafeRawBufferPointer, to name: String) throws -> String {
            let file = url.appendingPathComponent(name)
            try Data(bytes).write(to: file)
            return file.path
        }

        /// Makes `name` a symbolic link to `target` (a fixture the parser reads beside the input).
        func link(_ name: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(atPath: url.appendingPathComponent(name).path,
                                                       withDestinationPath: target)
        }
    }
}

/// The committed fixtures some targets read beside the fuzzed file (`Tests/Fixtures`).
enum FuzzFixtures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests").appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String {
        directory.appendingPathComponent(relative).path
    }
}
