import Dispatch
import MoLACheckpoint

/// A tensor that holds NaN or infinite values.
public struct NonFiniteTensor: Sendable, Equatable {
    public let tensor: String
    public let nanCount: Int
    public let infinityCount: Int
}

/// Reads every adapter tensor (experts and routers) and reports those with NaN or infinity.
public enum FinitenessScan {
    /// - Parameter progress: called with (done, total) tensors, from any thread.
    /// - Returns: offending tensors in file order; empty when all values are finite.
    public static func scan(_ adapter: MoLAAdapter, threadCount: Int = 1,
                            progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [NonFiniteTensor] {
        let names = adapter.projections.flatMap { projection in
            projection.experts.flatMap { [$0.a, $0.b] } + (projection.router.map { [$0] } ?? [])
        }
        let results = ResultSlots<NonFiniteTensor?>(count: names.count)
        let next = Counter()
        let done = Counter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(threadCount, names.count))) { _ in
            while let index = next.increment(below: names.count) {
                results.store(index) {
                    let values = try adapter.file.record(named: names[index]).doubles()
                    var nan = 0, infinity = 0
                    for value in values where !value.isFinite {
                        if value.isNaN { nan += 1 } else { infinity += 1 }
                    }
                    return nan + infinity == 0 ? nil
                        : NonFiniteTensor(tensor: names[index], nanCount: nan, infinityCount: infinity)
                }
                progress?(done.increment(below: .max)! + 1, names.count)
            }
        }
        return try results.values().compactMap { $0 }
    }
}
