import Foundation

/// SentencePiece as llama.cpp runs it from GGUF metadata (`tokenizer.ggml.model = llama`,
/// `llm_tokenizer_spm`): pieces joined by score, not by merge rank.
///
/// Encoding a text:
/// 1. Control, user-defined and unknown tokens are found in the raw text first (leftmost, then
///    longest, `AddedTokenMatcher`) and kept whole.
/// 2. Each stretch between them gets a leading space when `addSpacePrefix` and it is the first
///    or follows such a token; spaces become `▁`.
/// 3. Its characters are the symbols; repeatedly, of the adjacent pairs whose joined text is a
///    piece, the one whose piece scores highest (the leftmost of equal scores) is joined.
/// 4. A symbol that is a piece is its id; any other (a character the vocabulary lacks) is its
///    UTF-8 bytes as `<0xXX>` pieces (a join only ever makes pieces, so nothing else is left).
public struct SentencePieceScoreTokenizer: Sendable {
    public let source: String
    /// Each piece's id, by its bytes (two pieces of one text: the later, as llama.cpp keeps it).
    let vocabulary: [ExactText: Int]
    let tokens: [String]
    let scores: [Float]
    let types: [TokenizerVocabulary.TokenType]
    /// The `<0xXX>` piece of each byte value, where the vocabulary has it.
    let byteIds: [Int?]
    let unknownId: Int?
    let addSpacePrefix: Bool
    let specialTokenMatcher: AddedTokenMatcher

    /// - Throws: `TokenizerError` naming `source` and the field that is wrong.
    public init(vocabulary: TokenizerVocabulary, source: String) throws {
        types = try vocabulary.types(source: source)
        try vocabulary.checkSpecialIds(source: source)
        guard let scores = vocabulary.scores, scores.count == vocabulary.tokens.count else {
            throw TokenizerError.malformed(file: source, field: "tokenizer.ggml.scores",
                                           expected: "\(vocabulary.tokens.count) entries, one per token")
        }
        self.source = source
        var ids: [ExactText: Int] = [:]
        for (id, token) in vocabulary.tokens.enumerated() { ids[ExactText(token)] = id }
        self.vocabulary = ids
        self.tokens = vocabulary.tokens
        self.scores = scores
        byteIds = (0...255).map { ids[ExactText(String(format: "<0x%02X>", $0))] }
        unknownId = vocabulary.unknownId
        addSpacePrefix = vocabulary.addSpacePrefix ?? true
        specialTokenMatcher = AddedTokenMatcher(vocabulary.specialTokens(types: types))
    }

    /// The ids of `text` (without the begin token: `BaseTokenizer` adds it).
    public func encode(_ text: String, maxTokens: Int? = nil) -> [Int] {
        let limit = max(0, maxTokens ?? Int.max)
        var ids: [Int] = []
        let scalars = Array(text.unicodeScalars)
        // Every stretch starts the text or follows a special token, so each gets the space prefix.
        specialTokenMatcher.encode(scalars, into: &ids, limit: limit) { range, ids in
            let segment = (addSpacePrefix ? ["▁"] : [Unicode.Scalar]()) + scalars[range].map { $0 == " " ? "▁" : $0 }
            ids += pieceIds(segment)
        }
        return ids.count > limit ? Array(ids.prefix(limit)) : ids
    }

    /// The bytes `ids` stand for: `▁` as spaces, `<0xXX>` pieces as their byte, control and
    /// unknown tokens as nothing, and the leading space `addSpacePrefix` put there dropped.
    public func decodedBytes(_ ids: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids where tokens.indices.contains(id) {
            switch types[id] {
            case .control, .unknown, .unused: continue
            case .byte:
                if let byte = SentencePieceBPETokenizer.byteValue(of: tokens[id]) { bytes.append(byte) }
            case .userDefined: bytes += Array(tokens[id].utf8)
            case .normal: bytes += Array(tokens[id].replacingOccurrences(of: "▁", with: " ").utf8)
            }
        }
        if addSpacePrefix && bytes.first == UInt8(ascii: " ") { bytes.removeFirst() }
        return bytes
    }

    public func decode(_ ids: [Int]) -> String { String(decoding: decodedBytes(ids), as: UTF8.self) }

    /// Joins the symbols of one stretch by score (llama.cpp's `llm_tokenizer_spm_session`).
    func pieceIds(_ scalars: [Unicode.Scalar]) -> [Int] {
        let count = scalars.count
        guard count > 0 else { return [] }
        // Each symbol is the text scalars[position..<position + length[position]], kept as a
        // String (short ones are stored inline, so joining two costs no allocation).
        var length = [Int](repeating: 1, count: count)
        var texts = scalars.map { String($0) }
        var next = Array(1...count), previous = Array(-1..<(count - 1))
        var queue = PriorityQueue<ScoreCandidate>()
        func propose(_ left: Int) {
            guard left >= 0, next[left] < count else { return }
            let right = next[left]
            guard let id = vocabulary[ExactText(texts[left] + texts[right])] else { return }
            queue.push(ScoreCandidate(score: scores[id], position: left, leftLength: length[left], rightLength: length[right]))
        }
        for position in 0..<(count - 1) { propose(position) }
        while let candidate = queue.pop() {
            let left = candidate.position, right = left + candidate.leftLength
            // Stale once either symbol has grown or been joined into another.
            guard length[left] == candidate.leftLength, right < count, next[left] == right, length[right] == candidate.rightLength else { continue }
            length[left] += length[right]
            length[right] = 0
            texts[left] += texts[right]
            next[left] = next[right]
            if next[right] < count { previous[next[right]] = left }
            propose(previous[left])
            propose(left)
        }
        var ids: [Int] = []
        var position = 0
        while position < count {
            if let id = vocabulary[ExactText(texts[position])] {
                ids.append(id)
            } else {
                for byte in texts[position].utf8 {
                    if let id = byteIds[Int(byte)] ?? unknownId { ids.append(id) }
                }
            }
            position += length[position]
        }
        return ids
    }
}

/// A candidate join of `SentencePieceScoreTokenizer`: highest score first, then leftmost.
struct ScoreCandidate: QueueOrdered {
    let score: Float
    let position: Int
    let leftLength: Int
    let rightLength: Int

    func precedes(_ other: ScoreCandidate) -> Bool {
        score > other.score || (score == other.score && position < other.position)
    }
}
