import Dispatch
import Foundation
import Glibc

/// The temporary files `AtomicFileWriter` has open, so that an interrupted process (SIGINT,
/// SIGTERM, SIGHUP) removes them before it ends; the writers remove their own on every other
/// failure.
enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static func register(_ path: String) {
        lock.lock()
        paths.insert(path)
        lock.unlock()
    }

    static func unregister(_ path: String) {
        lock.lock()
        paths.remove(path)
        lock.unlock()
    }

    /// Removes every registered file. The corresponding C function is `unlink`.
    static func removeAll() {
        lock.lock()
        let current = paths
        paths = []
        lock.unlock()
        for path in current { _ = unlink(path) }
    }

    /// Handles SIGINT, SIGTERM and SIGHUP on a dispatch queue (not in a signal handler, where
    /// taking a lock is unsafe): the temporary files are removed, then the signal's default
    /// action ends the process as it would have. A signal the process was started ignoring
    /// (`nohup`, background jobs) stays ignored; one inherited blocked (a parent that spawned
    /// this process from a libdispatch worker thread, whose signals are blocked) is unblocked.
    /// Installed once; later calls do nothing. The corresponding C functions are `signal`,
    /// `pthread_sigmask` and `raise`.
    static func removeOnTermination() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&blocked, number) }
        pthread_sigmask(SIG_UNBLOCK, &blocked, nil)
        for number in [SIGINT, SIGTERM, SIGHUP] {
            let previous = signal(number, SIG_IGN)
            if let previous, unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                removeAll()
                // libdispatch keeps the signal blocked (it reads it from a descriptor); with the
                // default action restored and the signal unblocked here, raising it ends the process.
                signal(number, SIG_DFL)
                var only = sigset_t()
                sigemptyset(&only)
                sigaddset(&only, number)
                pthread_sigmask(SIG_UNBLOCK, &only, nil)
                raise(number)
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
