import Foundation

/// A thread-safe counter that hands out indices.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// The next value, or nil once `limit` is reached.
    func increment(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        defer { value += 1 }
        return value
    }
}

/// Results (or errors) stored by index from parallel workers.
final class ResultSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Value, Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ body: () throws -> Value) {
        let result = Result(catching: body)
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    /// All values in index order; rethrows the first error by index.
    func values() throws -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        return try slots.map { try $0!.get() }
    }
}
