/// How byte-level BPE cuts text into words before merging: a sequence of splitting steps, each
/// applied to every piece the previous ones left (as the `tokenizers` library's `Sequence` and
/// llama.cpp's list of regexes do). A step's matches and the text between them become pieces
/// (the library's `Isolated` behaviour).
///
/// The regexes are hand-written scanners over Unicode general categories (`\p{L}` letters,
/// `\p{N}` numbers, `\s` the White_Space property), linear in the text: Swift's `Regex` is slow,
/// and llama.cpp hand-writes the same ones (`src/unicode.cpp`).
public struct ByteLevelPreTokenizer: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
        /// (the `ByteLevel` pre-tokenizer's regex).
        case gpt2
        /// LLaMA 3's `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
        /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`; Qwen2's is the same with `\p{N}`
        /// one at a time (`maximumDigits` 1).
        case llama3(maximumDigits: Int)
        /// `\p{N}` (`individual`) or `\p{N}+`: the `Digits` pre-tokenizer.
        case digits(individual: Bool)
        /// `[\p{P}\$\+<=>\^~\|]+`: llama.cpp's default pre-tokenizer starts with it.
        case punctuation
        /// `[0-9][0-9][0-9]`: llama.cpp's default pre-tokenizer ends with it.
        case digitTriples
        /// A space before each piece that does not start with one (`ByteLevel`'s `add_prefix_space`).
        case prefixSpace
    }

    public var steps: [Step]

    public init(steps: [Step]) { self.steps = steps }

    /// The words of `scalars`, in order; none is empty.
    func split(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var pieces = scalars.isEmpty ? [] : [scalars]
        for step in steps {
            var next: [[Unicode.Scalar]] = []
            next.reserveCapacity(pieces.count)
            for piece in pieces {
                if step == .prefixSpace {
                    next.append(piece.first == " " ? piece : [" "] + piece)
                    continue
                }
                var start = 0
                for match in Self.matches(of: step, in: piece) {
                    if match.lowerBound > start { next.append(Array(piece[start..<match.lowerBound])) }
                    next.append(Array(piece[match]))
                    start = match.upperBound
                }
                if start < piece.count { next.append(Array(piece[start...])) }
            }
            pieces = next
        }
        return pieces
    }

    /// The step's matches, leftmost first, none overlapping and none empty.
    static func matches(of step: Step, in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(CharacterClass.init)
        var matches: [Range<Int>] = []
        var position = 0
        while position < scalars.count {
            let end: Int? = switch step {
            case .gpt2: gpt2Match(scalars, classes, at: position)
            case let .llama3(maximumDigits): llama3Match(scalars, classes, at: position, maximumDigits: maximumDigits)
            case let .digits(individual):
                classes[position] == .number ? (individual ? position + 1 : run(of: .number, classes, from: position)) : nil
            case .punctuation: punctuationRun(scalars, from: position)
            case .digitTriples:
                position + 3 <= scalars.count && scalars[position..<(position + 3)].allSatisfy { ("0"..."9").contains($0) }
                    ? position + 3 : nil
            case .prefixSpace: nil
            }
            if let end {
                matches.append(position..<end)
                position = end
            } else {
                position += 1
            }
        }
        return matches
    }
}
