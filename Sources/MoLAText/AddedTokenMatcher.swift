/// Finds a tokenizer's added tokens in text, leftmost-longest (as the `tokenizers` library's
/// Aho-Corasick scan does): the match that starts first, and of those the longest; the scan then
/// resumes after it.
///
/// The work is linear in the text looked at, whatever the tokens: an Aho-Corasick automaton over
/// the reversed contents gives, in one backward pass over a window, the longest token starting at
/// every position of it (the longest token that is a suffix of the automaton's state, which is the
/// longest suffix of the reversed text read so far found among the tokens' prefixes). Windows are
/// `max(4096, longest token)` positions wide plus the longest token's length, so a caller that
/// stops early (a token budget) has looked at no more than two windows past where it stopped.
///
/// ```
/// tokens ["ab", "abc", "b"], text "xabcb":  matches (1, "abc"), (4, "b")
/// ```
struct AddedTokenMatcher: Sendable {
    /// One node of the trie of reversed contents.
    private struct Node: Sendable {
        var children: [Unicode.Scalar: Int] = [:]
        var failure: Int = 0
        /// The longest token that is a suffix of this node's string (read backwards: the longest
        /// token starting where the backward scan stands), as its length and id; 0 length for none.
        var longestLength: Int = 0
        var longestId: Int = 0
    }

    private let nodes: [Node]
    /// The longest token's length in scalars (0 without tokens).
    let maximumLength: Int

    /// - Parameter tokens: contents and ids; an empty content never matches, and of two tokens
    ///   with the same content the first one's id is used.
    init(_ tokens: [(content: [Unicode.Scalar], id: Int)]) {
        var nodes = [Node()]
        var maximumLength = 0
        for token in tokens where !token.content.isEmpty {
            var node = 0
            for scalar in token.content.reversed() {
                if let child = nodes[node].children[scalar] {
                    node = child
                } else {
                    nodes.append(Node())
                    nodes[node].children[scalar] = Int(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
            if nodes[node].longestLength == 0 {
                nodes[node].longestLength = Int(token.content.count)
                nodes[node].longestId = token.id
            }
            maximumLength = max(maximumLength, token.content.count)
        }
        // Failure links breadth first; a node that ends no token inherits its failure's longest
        // token, which is then the longest token that is a suffix of it (its own end is longer).
        var queue = Array(nodes[0].children.values)
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for (scalar, child) in nodes[node].children {
                var failure = Int(nodes[node].failure)
                while failure != 0 && nodes[failure].children[scalar] == nil { failure = Int(nodes[failure].failure) }
                let target = nodes[failure].children[scalar] ?? 0
                nodes[child].failure = Int(target == child ? 0 : target)
                if nodes[child].longestLength == 0 {
                    nodes[child].longestLength = nodes[Int(nodes[child].failure)].longestLength
                    nodes[child].longestId = nodes[Int(nodes[child].failure)].longestId
                }
                queue.append(child)
            }
        }
        self.nodes = nodes
        self.maximumLength = maximumLength
    }

    var isEmpty: Bool { maximumLength == 0 }

    /// Appends the ids of `scalars` to `ids` until there are `limit`: each added token matched as
    /// its id, and every stretch between matches through `encodeSegment` (a range of `scalars`
    /// and where its ids go). One owner of the rule "added tokens first, the model between them"
    /// for every tokenizer kind.
    func encode(_ scalars: [Unicode.Scalar], into ids: inout [Int], limit: Int,
                encodeSegment: (Range<Int>, inout [Int]) -> Void) {
        var segmentStart = 0
        func flush(until end: Int) {
            guard end > segmentStart, ids.count < limit else { return }
            encodeSegment(segmentStart..<end, &ids)
        }
        forEachMatch(in: scalars) { start, length, id in
            flush(until: start)
            guard ids.count < limit else { return false }
            ids.append(id)
            segmentStart = start + length
            return ids.count < limit
        }
        flush(until: scalars.count)
    }

    /// The matches in `scalars`, in order, without overlaps: `body` gets each one's start, length
    /// and id, and returns false to stop the scan.
    func forEachMatch(in scalars: [Unicode.Scalar], _ body: (_ start: Int, _ length: Int, _ id: Int) -> Bool) {
        guard !isEmpty else { return }
        let windowWidth = max(4096, maximumLength)
        var longest: [(length: Int, id: Int)] = []
        var windowStart = 0, windowEnd = 0
        var position = 0
        while position < scalars.count {
            if position >= windowEnd {
                windowStart = position
                windowEnd = min(scalars.count, position + windowWidth)
                longest = longestTokens(in: scalars, starts: windowStart..<windowEnd)
            }
            let match = longest[position - windowStart]
            if match.length > 0 {
                guard body(position, Int(match.length), match.id) else { return }
                position += Int(match.length)
            } else {
                position += 1
            }
        }
    }

    /// The longest token starting at each position of `starts` (length 0: none), by one backward
    /// pass from the last position a token starting there can reach.
    private func longestTokens(in scalars: [Unicode.Scalar], starts: Range<Int>) -> [(length: Int, id: Int)] {
        var result = [(length: Int, id: Int)](repeating: (0, 0), count: starts.count)
        let end = min(scalars.count, starts.upperBound + maximumLength - 1)
        var node = 0
        var position = end - 1
        while position >= starts.lowerBound {
            let scalar = scalars[position]
            while node != 0 && nodes[node].children[scalar] == nil { node = Int(nodes[node].failure) }
            node = nodes[node].children[scalar] ?? 0
            if position < starts.upperBound {
                result[position - starts.lowerBound] = (nodes[node].longestLength, nodes[node].longestId)
            }
            position -= 1
        }
        return result
    }
}

extension AddedTokenMatcher {
    /// The reference for `forEachMatch`, as this reader did it before: at each position, the
    /// first of the tokens sorted longest first that matches there. O(text x tokens x length);
    /// kept for the tests.
    static func naiveMatches(_ tokens: [(content: [Unicode.Scalar], id: Int)], in scalars: [Unicode.Scalar]) -> [(start: Int, length: Int, id: Int)] {
        let sorted = tokens.enumerated().sorted { ($0.element.content.count, -$0.offset) > ($1.element.content.count, -$1.offset) }.map(\.element)
        var matches: [(start: Int, length: Int, id: Int)] = []
        var index = 0
        while index < scalars.count {
            let match = sorted.first { token in
                !token.content.isEmpty && index + token.content.count <= scalars.count
                    && scalars[index..<(index + token.content.count)].elementsEqual(token.content)
            }
            if let match {
                matches.append((index, match.content.count, match.id))
                index += match.content.count
            } else {
                index += 1
            }
        }
        return matches
    }
}
