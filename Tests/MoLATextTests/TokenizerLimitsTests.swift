// The tokenizer's work bounded by its answer and its ids checked before use: added tokens found
// by one automaton (against the per-token search it replaced), merges by a heap (against the
// rescan it replaced), `maxTokens` giving the full encoding's first ids, and every id of a
// tokenizer.json refused by name when it is out of range.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLAText

@Suite struct TokenizerLimitsTests {
    /// A small seeded generator (64-bit LCG, Knuth's constants): tests need no other module.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static let legacy = Fixtures.path("llama-tokenizer/tokenizer.json")
    static let metaspace = Fixtures.path("llama-tokenizer/metaspace/tokenizer.json")

    // MARK: added tokens

    @Test func addedTokensAreFoundLeftmostLongest() {
        let tokens: [(content: [Unicode.Scalar], id: Int)] = [("ab", 1), ("abc", 2), ("b", 3), ("", 4), ("bc", 5), ("ab", 6)]
            .map { (Array($0.0.unicodeScalars), $0.1) }
        let matcher = AddedTokenMatcher(tokens)
        var found: [String] = []
        let text = Array("xabcbab".unicodeScalars)
        matcher.forEachMatch(in: text) { start, length, id in
            found.append("\(start)+\(length)=\(id)")
            return true
        }
        // "abc" beats "ab" at 1; "b" at 4; "ab" at 5 is the first of the two "ab" tokens.
        #expect(found == ["1+3=2", "4+1=3", "5+2=1"])
        #expect(AddedTokenMatcher.naiveMatches(tokens, in: text).map { "\($0.start)+\($0.length)=\($0.id)" } == found)
    }

    /// Random tokens over a 3-letter alphabet (overlaps, prefixes and suffixes of each other) and
    /// random texts, some longer than a scan window: the automaton finds what the search found.
    @Test func addedTokensAsThePerTokenSearchFoundThem() {
        var random = Generator(state: 11)
        let alphabet: [Unicode.Scalar] = ["a", "b", "c"]
        for round in 0..<60 {
            let tokens = (0..<(1 + random.next(12))).map { index in
                ((0..<(1 + random.next(round % 10 == 0 ? 40 : 5))).map { _ in alphabet[random.next(3)] }, index)
            }
            let length = round % 15 == 0 ? 9_000 : random.next(200)
            let text = (0..<length).map { _ in alphabet[random.next(3)] }
            var found: [(Int, Int, Int)] = []
            AddedTokenMatcher(tokens).forEachMatch(in: text) { found.append(($0, $1, $2)); return true }
            let expected = AddedTokenMatcher.naiveMatches(tokens, in: text)
            #expect(found.map { "\($0.0)+\($0.1)=\($0.2)" } == expected.map { "\($0.start)+\($0.length)=\($0.id)" }, "round \(round)")
        }
    }

    /// The case that took 33 s: 20,000 added tokens and a long line through them. Each token is
    /// found where it is; the per-token search would try all 20,000 at each of the line's positions.
    @Test func twentyThousandAddedTokensOnALongLine() throws {
        let count = 20_000
        let added = (0..<count).map { ["id": 300 + $0, "content": "<extra_\($0)>"] as [String: Any] }
        let vocabulary = ["<unk>": 0, "▁": 1, "x": 2]
        let (file, result) = TokenizerTests.read(model: ["type": "BPE", "vocab": vocabulary.merging((3..<300).map { ("p\($0)", $0) }) { $1 },
                                                          "merges": [], "unk_token": "<unk>"],
                                                  extra: ["added_tokens": added])
        _ = file
        let tokenizer = try result.get()
        let picked = stride(from: 0, to: count, by: 7).map { $0 * 13 % count }
        let line = picked.map { "x<extra_\($0)>" }.joined()
        let ids = tokenizer.encode(line, addSpecialTokens: false)
        #expect(ids == picked.flatMap { [2, 300 + $0] })
        #expect(tokenizer.encode(line, addSpecialTokens: false, maxTokens: 5) == Array(ids.prefix(5)))
    }

    // MARK: maxTokens

    static let texts = [
        "Where do tokens go?", "  two  spaces and a tab\there", "ünïcødé and 漢字 😀", "The answer is B.", "",
        String(repeating: "a long line without end ", count: 40),
    ]

    @Test(arguments: [legacy, metaspace])
    func maxTokensGivesTheFirstIdsOfTheWholeEncoding(file: String) throws {
        let tokenizer = try SentencePieceBPETokenizer(file: file)
        for text in Self.texts {
            for addSpecialTokens in [true, false] {
                let whole = tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
                for limit in Array(0...min(whole.count + 2, 12)) + [whole.count - 1, whole.count, whole.count + 1] where limit >= 0 {
                    #expect(tokenizer.encode(text, addSpecialTokens: addSpecialTokens, maxTokens: limit) == Array(whole.prefix(limit)),
                            "\(text) with \(limit)")
                }
            }
        }
    }

    @Test func maxTokensThroughTheBaseTokenizerAndTheByteTokenizer() throws {
        let directory = Fixtures.path("llama-tokenizer")
        let tokenizer = try BaseTokenizer(baseDirectory: directory)
        let whole = tokenizer.encode("Where do tokens go?", appendEnd: true)
        for limit in 0...(whole.count + 1) {
            #expect(tokenizer.encode("Where do tokens go?", appendEnd: true, maxTokens: limit) == Array(whole.prefix(limit)))
        }
        let bytes = ByteTokenizer()
        let all = bytes.encode("héllo", appendEnd: true)
        #expect(all == [256, 104, 195, 169, 108, 108, 111, 257])
        for limit in 0...(all.count + 1) { #expect(bytes.encode("héllo", appendEnd: true, maxTokens: limit) == Array(all.prefix(limit))) }
    }

    // MARK: merges

    /// Random words over a vocabulary whose merges each come after the merges making their parts
    /// (as a trained file's do): the heap joins what the rescan joined.
    @Test func mergesAsTheRescanJoinedThem() {
        var random = Generator(state: 5)
        for round in 0..<40 {
            var pieces = ["a", "b", "c", "d"]
            var merges: [BytePairMerge.PairKey: (rank: Int, id: Int)] = [:]
            for rank in 0..<(5 + random.next(30)) {
                let left = random.next(pieces.count), right = random.next(pieces.count)
                let key = BytePairMerge.PairKey(left: left, right: right)
                guard merges[key] == nil else { continue }
                pieces.append(pieces[left] + pieces[right])
                merges[key] = (rank, pieces.count - 1)
            }
            let word = (0..<(round % 10 == 0 ? 2_000 : random.next(60))).map { _ in random.next(4) }
            #expect(BytePairMerge.merge(word, merges: merges) == BytePairMerge.naiveMerge(word, merges: merges),
                    "round \(round)")
        }
    }

    // MARK: ids checked before use

    @Test func idsOutsideTheFileAreRefusedByName() {
        let good = TokenizerTests.goodModel
        func vocabulary(_ entries: [String: Int]) -> [String: Any] { TokenizerTests.model("vocab", entries) }
        // Four entries: ids 0..<4.
        TokenizerTests.expectError({ .idOutOfRange(file: $0, piece: "ab", id: 4, limit: 4) },
                                   model: vocabulary(["<unk>": 0, "a": 1, "b": 2, "ab": 4]))
        TokenizerTests.expectError({ .idOutOfRange(file: $0, piece: "ab", id: 1 << 40, limit: 4) },
                                   model: vocabulary(["<unk>": 0, "a": 1, "b": 2, "ab": 1 << 40]))
        TokenizerTests.expectError({ .idOutOfRange(file: $0, piece: "ab", id: Int.max, limit: 4) },
                                   model: vocabulary(["<unk>": 0, "a": 1, "b": 2, "ab": Int.max]))
        TokenizerTests.expectError({ .badIdentifier(file: $0, piece: "b", id: 1) }, model: vocabulary(["<unk>": 0, "a": 1, "b": 1, "ab": 3]))
        // An added token: beyond the entries, negative, or an id two added tokens claim.
        TokenizerTests.expectError({ .idOutOfRange(file: $0, piece: "<s>", id: 5, limit: 5) }, model: good,
                                   extra: ["added_tokens": [["id": 5, "content": "<s>"]]])
        TokenizerTests.expectError({ .idOutOfRange(file: $0, piece: "<s>", id: -3, limit: 5) }, model: good,
                                   extra: ["added_tokens": [["id": -3, "content": "<s>"]]])
        TokenizerTests.expectError({ .badIdentifier(file: $0, piece: "</s>", id: 4) }, model: good,
                                   extra: ["added_tokens": [["id": 4, "content": "<s>"], ["id": 4, "content": "</s>"]]])
        // Merges: not two pieces, or a piece the vocabulary lacks.
        TokenizerTests.expectError({ .malformedMerge(file: $0, index: 1, merge: "a b ab") }, model: TokenizerTests.model("merges", ["a b", "a b ab"]))
        TokenizerTests.expectError({ .malformedMerge(file: $0, index: 0, merge: "a") }, model: TokenizerTests.model("merges", [["a"]]))
        TokenizerTests.expectError({ .mergeOutsideVocabulary(file: $0, merge: "a zz") }, model: TokenizerTests.model("merges", ["a zz"]))
        // The post-processor's own ids for a special token.
        let template: [String: Any] = ["type": "TemplateProcessing",
                                       "single": [["SpecialToken": ["id": "<bos>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                                       "special_tokens": ["<bos>": ["id": "<bos>", "ids": [1, 99], "tokens": ["<bos>"]]]]
        TokenizerTests.expectError({ .unknownTemplateId(file: $0, token: "<bos>", id: 99) }, model: good, extra: ["post_processor": template])
        // Booleans and fractions are not ids.
        TokenizerTests.expectError({ .malformed(file: $0, field: "model.vocab[b]", expected: "an integer id") },
                                   model: TokenizerTests.model("vocab", ["<unk>": 0, "a": 1, "b": true]))
        TokenizerTests.expectError({ .malformed(file: $0, field: "added_tokens[0]", expected: "{\"id\": integer, \"content\": string}") },
                                   model: good, extra: ["added_tokens": [["id": 1.5, "content": "<s>"]]])
        TokenizerTests.expectError({ .malformed(file: $0, field: "model.vocab[b]", expected: "an integer id") },
                                   model: TokenizerTests.model("vocab", ["<unk>": 0, "a": 1, "b": 1e30]))
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(TokenizerError.idOutOfRange(file: "t.json", piece: "ab", id: 9, limit: 4).description
                == "id 9 of \"ab\" is outside 0..<4, the number of vocabulary entries and added tokens (t.json)")
        #expect(TokenizerError.malformedMerge(file: "t.json", index: 2, merge: "a b c").description == "merge 2 \"a b c\" is not two pieces (t.json)")
        #expect(TokenizerError.unknownTemplateId(file: "t.json", token: "<s>", id: 7).description
                == "the post-processor gives special token \"<s>\" id 7, which no piece or added token has (t.json)")
    }
}
