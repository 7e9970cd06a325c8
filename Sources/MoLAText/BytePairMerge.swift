/// The merge step of BPE, shared by every BPE tokenizer here (SentencePiece-style and byte-level):
/// the one owner of the join order.
enum BytePairMerge {
    /// Two adjacent symbols' ids.
    struct PairKey: Hashable, Sendable { let left: Int; let right: Int }

    /// (left id, right id) -> (rank, joined id); a lower rank joins first.
    typealias Table = [PairKey: (rank: Int, id: Int)]

    /// Joins adjacent symbols of one word by the merges, in the `tokenizers` library's order: the
    /// pair of lowest rank first, of equal ranks the leftmost, one join at a time.
    ///
    /// A heap of candidate pairs keyed by (rank, position) over a linked list of symbols:
    /// O(n log n) for a word of n symbols (rescanning every pair after each join, `naiveMerge`,
    /// is O(n^2), which a long line without spaces turns into minutes).
    ///
    /// - Parameter merges: (left id, right id) -> (rank, joined id).
    static func merge(_ symbols: [Int], merges: Table) -> [Int] {
        guard symbols.count > 1 else { return symbols }
        var ids = symbols
        let count = ids.count
        // Neighbours in the list; `count` is the end and -1 the start. A joined symbol keeps the
        // position of its left part, so positions order the live symbols as the text does.
        var next = Array(1...count)
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        func candidateJoining(_ left: Int) -> MergeCandidate? {
            guard left >= 0 else { return nil }
            let right = next[left]
            guard right < count, let merge = merges[PairKey(left: ids[left], right: ids[right])] else { return nil }
            return MergeCandidate(rank: merge.rank, position: left, left: ids[left], right: ids[right], joined: merge.id)
        }
        var queue = PriorityQueue((0..<(count - 1)).compactMap(candidateJoining))
        func propose(_ left: Int) {
            if let candidate = candidateJoining(left) { queue.push(candidate) }
        }
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
    static func naiveMerge(_ symbols: [Int], merges: Table) -> [Int] {
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

/// An element of a `PriorityQueue`: `precedes` is the order it is popped in.
protocol QueueOrdered {
    func precedes(_ other: Self) -> Bool
}

/// A candidate join of `BytePairMerge.merge`: lowest rank first, then leftmost.
struct MergeCandidate: QueueOrdered {
    let rank: Int
    let position: Int
    let left: Int
    let right: Int
    let joined: Int

    func precedes(_ other: MergeCandidate) -> Bool { (rank, position) < (other.rank, other.position) }
}

/// A binary heap: `pop` gives the element that precedes all others.
struct PriorityQueue<Element: QueueOrdered> {
    private var heap: [Element] = []

    /// A queue of `elements`, ordered bottom-up in O(n) (n pushes would take O(n log n)).
    init(_ elements: [Element] = []) {
        heap = elements
        for parent in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(from: parent) }
    }

    mutating func push(_ element: Element) {
        heap.append(element)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        siftDown(from: 0)
        return first
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < heap.count && heap[left].precedes(heap[best]) { best = left }
            if right < heap.count && heap[right].precedes(heap[best]) { best = right }
            guard best != parent else { return }
            heap.swapAt(parent, best)
            parent = best
        }
    }
}
