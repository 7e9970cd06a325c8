import Foundation
import Synchronization

/// Helper threads for the many short products of one generated token (about 210 of 10 to 50 µs
/// each for SmolLM2): between two products they wait spinning, so handing one out costs an atomic
/// store rather than waking a thread (`DispatchQueue.concurrentPerform`, about 13 µs a call).
///
/// ```
/// run(parts, body):  the caller runs body(0), helper i runs body(i) for i in 1 ..< parts
///   caller: job = body; generation += 1 (helpers see it); body(0); wait until pending == 0
///   helper: spin until generation changes (then sleep on a condition), run, pending -= 1
/// ```
/// A helper spins for `spinLimit` checks (tens of microseconds) before it sleeps, so a pool left
/// idle costs nothing. One job at a time: a caller that finds the pool busy (another thread's
/// job) runs its parts itself, one after the other.
final class SpinningWorkers: @unchecked Sendable {
    /// Threads besides the caller.
    let helperCount: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Mutex<Bool>(false)
    private let wakeUp = NSCondition()
    /// The current job's body, valid between a generation's start and `pending` reaching 0.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    nonisolated(unsafe) private var jobParts = 0

    /// Checks of the generation a helper makes before it sleeps.
    private static let spinLimit = 20_000

    private init(helperCount: Int) {
        self.helperCount = helperCount
        for index in 1...helperCount {
            let thread = Thread { [unowned self] in self.serve(index) }
            thread.name = "mola-product-\(index)"
            thread.start()
        }
    }

    private static let pools = Mutex<[Int: SpinningWorkers]>([:])

    /// The process's pool for `threads` threads in all (created on first use; its threads live as
    /// long as the process).
    static func pool(threads: Int) -> SpinningWorkers {
        precondition(threads > 1, "SpinningWorkers.pool: \(threads) threads need no helpers")
        return pools.withLock { pools in
            if let pool = pools[threads] { return pool }
            let pool = SpinningWorkers(helperCount: threads - 1)
            pools[threads] = pool
            return pool
        }
    }

    /// Runs `body(part)` for every part in `0 ..< parts` (at most `helperCount + 1`), the caller
    /// taking part 0, and returns when all have finished.
    func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts >= 1 && parts <= helperCount + 1, "SpinningWorkers.run: \(parts) parts for \(helperCount + 1) threads")
        let claimed = busy.withLock { busy in
            if busy { return false }
            busy = true
            return true
        }
        guard claimed, parts > 1 else {
            for part in 0..<parts { body(part) }
            if claimed { busy.withLock { $0 = false } }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            jobParts = parts
            pending.store(helperCount, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wakeUp.lock()
                wakeUp.broadcast()
                wakeUp.unlock()
            }
            body(0)
            while pending.load(ordering: .acquiring) > 0 {}
            job = nil
        }
        busy.withLock { $0 = false }
    }

    /// A helper's loop: wait for a new generation, run its part if the job has one, report.
    private func serve(_ index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < Self.spinLimit { spins += 1 }
            if generation.load(ordering: .sequentiallyConsistent) == seen {
                wakeUp.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { wakeUp.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                wakeUp.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            if index < jobParts, let job { job(index) }
            pending.subtract(1, ordering: .releasing)
        }
    }
}
