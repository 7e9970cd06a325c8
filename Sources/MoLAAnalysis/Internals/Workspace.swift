/// Buffers one worker reuses from projection to projection.
///
/// Allocating fresh multi-megabyte arrays per projection costs a zero-fill and a page fault per
/// page each time; a worker's workspace grows to the largest projection once and stays.
final class Workspace {
    private var storage: [UnsafeMutableBufferPointer<Double>] = []

    /// Buffer `slot`, at least `count` elements, contents unspecified.
    func buffer(_ slot: Int, count: Int) -> UnsafeMutableBufferPointer<Double> {
        while storage.count <= slot { storage.append(UnsafeMutableBufferPointer(start: nil, count: 0)) }
        if storage[slot].count < count {
            storage[slot].deallocate()
            storage[slot] = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
        }
        return UnsafeMutableBufferPointer(rebasing: storage[slot][..<count])
    }

    deinit {
        for buffer in storage { buffer.deallocate() }
    }
}
