// The hand-written pre-tokenizer regexes against the regexes themselves, run by
// NSRegularExpression (ICU) on seeded random strings: the naive reference kept beside the fast
// scanners. The pool leaves out U+000B and U+0085, which the tokenizers library's `\s` (Oniguruma,
// the White_Space property) matches and ICU's does not.
import Foundation
import Testing
@testable import MoLAText

@Suite struct ByteLevelPreTokenizerTests {
    static let pool: [String] = ["a", "b", "Z", "é", "ß", "中", "日", "한", "ٔ", "x", "q", "S", "T", "L", "D",
                                 "0", "7", "9", "٣", "½", "²", "Ⅻ", " ", " ", " ", "\t", "\n", "\r", "\u{A0}", "\u{3000}",
                                 "'", "'", "s", "t", "re", "RE", "ll", "ve", "m", "d", ".", ",", "!", "-", "$", "+", "<", "=",
                                 "|", "~", "^", "(", ")", "\"", "_", "🙂", "\u{301}", "\u{200D}", "👩"]

    static let references: [(ByteLevelPreTokenizer.Step, String)] = [
        (.gpt2, #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#),
        (.llama3(maximumDigits: 3),
         #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#),
        (.llama3(maximumDigits: 1),
         #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#),
        (.digits(individual: true), #"\p{N}"#),
        (.digits(individual: false), #"\p{N}+"#),
        (.punctuation, #"[\p{P}\$\+<=>\^~\|]+"#),
        (.digitTriples, #"[0-9][0-9][0-9]"#),
    ]

    /// The regex's matches as ranges of Unicode scalar positions.
    static func referenceMatches(_ pattern: String, in scalars: [Unicode.Scalar]) throws -> [Range<Int>] {
        let regex = try NSRegularExpression(pattern: pattern)
        let text = String(String.UnicodeScalarView(scalars))
        // UTF-16 offset -> scalar position.
        var scalarAt: [Int: Int] = [:]
        var offset = 0
        for (position, scalar) in scalars.enumerated() {
            scalarAt[offset] = position
            offset += UTF16.width(scalar)
        }
        scalarAt[offset] = scalars.count
        return regex.matches(in: text, range: NSRange(location: 0, length: offset)).map { match in
            scalarAt[match.range.location]!..<scalarAt[match.range.location + match.range.length]!
        }
    }

    @Test func scannersMatchTheRegexes() throws {
        var state: UInt64 = 12345
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<400 {
            let text = (0..<next(40)).map { _ in Self.pool[next(Self.pool.count)] }.joined()
            let scalars = Array(text.unicodeScalars)
            for (step, pattern) in Self.references {
                let expected = try Self.referenceMatches(pattern, in: scalars)
                #expect(ByteLevelPreTokenizer.matches(of: step, in: scalars) == expected, "\(step) on \(text.debugDescription)")
            }
        }
    }

    @Test func stepsApplyInOrderToEachPiece() {
        let smolLM = ByteLevelPreTokenizer(steps: [.digits(individual: true), .gpt2])
        let words = smolLM.split(Array("Call 911 now".unicodeScalars)).map { String(String.UnicodeScalarView($0)) }
        #expect(words == ["Call", " ", "9", "1", "1", " now"])
        let prefixed = ByteLevelPreTokenizer(steps: [.prefixSpace, .gpt2])
        #expect(prefixed.split(Array("hi there".unicodeScalars)).map { String(String.UnicodeScalarView($0)) } == [" hi", " there"])
        #expect(prefixed.split([]).isEmpty)
    }

    /// The GPT-2 map: printable Latin-1 bytes are themselves, the rest from U+0100 on; the inverse undoes it.
    @Test func byteAlphabetRoundTrips() {
        #expect(ByteLevelAlphabet.characters[0x20] == "Ġ" && ByteLevelAlphabet.characters[0x0A] == "Ċ")
        #expect(ByteLevelAlphabet.characters[0x41] == "A" && ByteLevelAlphabet.characters[0xAD] == "\u{143}")
        #expect(Set(ByteLevelAlphabet.characters).count == 256)
        let bytes = (0...255).map { UInt8($0) }
        #expect(ByteLevelAlphabet.decode(ByteLevelAlphabet.encode(bytes)) == bytes)
        #expect(ByteLevelAlphabet.decode("<|im_start|>") == Array("<|im_start|>".utf8))
        #expect(ByteLevelAlphabet.decode("a b") == nil)
    }
}
