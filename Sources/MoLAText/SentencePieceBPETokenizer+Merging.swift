extension SentencePieceBPETokenizer {
    /// Joins adjacent symbols of one word by the merges, in the `tokenizers` library's order: the
    /// pair of lowest rank first, of equal ranks the leftmost, one join at a time.
    ///
    /// A heap of candidate pairs keyed by (rank, position) over a linked list of symbols:
    /// O(n log n) for a word of n symbols (rescanning every pair after each join, `naiveMerge`,
    /// is O(n^2), which a long line without spaces turns into minutes).
    ///
    /// - Parameter merges: (left id, right id) -> (rank, joined id).
    static func merge(_ symbols: [Int], merges: [PairKey: (rank: Int, id: Int)]) -> [Int] {
        guard symbols.count > 1 else { return symbols }
        var ids = symbols
        let count = ids.count
        // Neighbours in the list; `count` is the end and -1 the start. A joined symbol keeps the
        // position of its left part, so positions order the live symbols as the text does.
        var next = Array(1...count)
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var queue = MergeQueue()
        func propose(_ left: Int) {
            guard left >= 0 else { return }
            let right = next[left]
            guard right < count, let merge = merges[PairKey(left: ids[left], right: ids[right])] else { return }
            queue.push(.init(rank: merge.rank, position: left, left: ids[left], right: ids[right], joined: merge.id))
        }
        for position in 0..<(count - 1) { propose(position) }
        while let candidate = queue.pop() {
            let left = candidate.position, right = next[left]
            // A candidate is stale once either symbol has been joined into another.
            guard alive[left], right < count, ids[left] == candidate.left, ids[right] == candidate.right else { continue }
            ids[left] = candidate.joined
            alive[right] = false
            next[left] = next[right]
            if next[right] < count { previous[next[right]] = left }
            if previous[left] >= 0 { propose(previous[left]) }
            propose(left)
        }
        return (0..<count).filter { alive[$0] }.map { ids[$0] }
    }

    /// The reference for `merge`, as this reader did it before: find the lowest-ranked pair, join it
    /// everywhere left to right, repeat. O(n^2); kept for the tests. It equals the one-at-a-time
    /// order when every merge comes after the merges that make its parts, as in every trained file
    /// (a join then never enables a pair of lower rank than its own).
    static func naiveMerge(_ symbols: [Int], merges: [PairKey: (rank: Int, id: Int)]) -> [Int] {
        var symbols = symbols
        while symbols.count > 1 {
            var best: (rank: Int, id: Int, left: Int, right: Int)?
            for position in 0..<(symbols.count - 1) {
                let key = PairKey(left: symbols[position], right: symbols[position + 1])
                if let merge = merges[key], best == nil || merge.rank < best!.rank {
                    best = (merge.rank, merge.id, symbols[position], symbols[position + 1])
                }
            }
            guard let best else { break }
            var joined: [Int] = []
            joined.reserveCapacity(symbols.count)
            var position = 0
            while position < symbols.count {
                if position + 1 < symbols.count && symbols[position] == best.left && symbols[position + 1] == best.right {
                    joined.append(best.id)
                    position += 2
                } else {
                    joined.append(symbols[position])
                    position += 1
                }
            }
            symbols = joined
        }
        return symbols
    }
}

/// A binary min-heap of candidate joins, by rank then position.
struct MergeQueue {
    struct Candidate {
        let rank: Int
        let position: Int
        let left: Int
        let right: Int
        let joined: Int

        func precedes(_ other: Candidate) -> Bool { (rank, position) < (other.rank, other.position) }
    }

    private var heap: [Candidate] = []

    mutating func push(_ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count && heap[right].precedes(heap[smallest]) { smallest = right }
            guard smallest != parent else { return first }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
