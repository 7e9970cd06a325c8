import Foundation

/// A progress bar on standard error, drawn only when standard error is a terminal.
///
/// Pipes, files and CI logs get nothing, so machine-readable output stays clean. Updates are
/// throttled to 20 per second and may come from any thread.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private let start = Date()

    init(label: String) {
        self.label = label
        let environment = ProcessInfo.processInfo.environment
        enabled = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb" && environment["CI"] == nil
    }

    /// Shows `done` of `total`.
    func update(done: Int, total: Int) {
        guard enabled, total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) >= 0.05 else { return }
        lastDraw = now
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let elapsed = String(format: "%.1fs", now.timeIntervalSince(start))
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(done)/\(total) \(elapsed)\u{1B}[K".utf8))
    }

    /// Clears the bar's line.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
