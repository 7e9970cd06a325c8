import Foundation
import MoLAFiles

/// A progress bar on standard error, drawn only when standard error is a terminal.
///
/// Pipes, files and CI logs get nothing, so machine-readable output stays clean. Updates are
/// throttled to 20 per second and may come from any thread.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    /// What is counted, e.g. `tokens`; with it the bar shows a rate.
    private let unit: String?
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private let start = Date()

    init(label: String, unit: String? = nil) {
        self.label = label
        self.unit = unit
        let environment = ProcessInfo.processInfo.environment
        enabled = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb" && environment["CI"] == nil
    }

    /// Shows `done` of `total`, and `detail` (e.g. a rate) after them.
    func update(done: Int, total: Int, detail: String? = nil) {
        guard enabled, total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) >= 0.05 else { return }
        lastDraw = now
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let seconds = now.timeIntervalSince(start)
        var status = "\(done)/\(total)"
        if let unit, seconds > 0 {
            let rate = Double(done) / seconds
            let remaining = rate > 0 ? Double(total - done) / rate : 0
            status += " \(unit), \(Int(rate)) \(unit)/s, \(String(format: "%.0fs", remaining)) left"
        } else {
            status += " " + String(format: "%.1fs", seconds)
        }
        if let detail { status += ", " + detail }
        StandardStream.error.writeDiagnostic("\r\(label) \(bar) \(status)\u{1B}[K")
    }

    /// Clears the bar's line.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        StandardStream.error.writeDiagnostic("\r\u{1B}[K")
    }
}
