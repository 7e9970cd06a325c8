import Foundation

/// Paths of the committed fixtures and scratch files for tests.
public enum Fixtures {
    /// `Tests/Fixtures`, made by `Tests/Fixtures/generate_fixtures.py`.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The repository root.
    public static let repository: URL = directory.deletingLastPathComponent().deletingLastPathComponent()

    public static func path(_ relative: String) -> String {
        directory.appendingPathComponent(relative).path
    }

    /// A golden file's parsed JSON.
    public static func golden(_ fixture: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(fixture).appendingPathComponent("golden.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

/// A fresh directory under the system's temporary directory, removed with `remove()`.
public struct ScratchDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("mola-inspect-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    public func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}
