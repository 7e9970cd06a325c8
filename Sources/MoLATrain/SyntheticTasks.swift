import MoLATensor

/// Multiple-choice tasks from four domains that need different skills, with letter answers in
/// the reference's format (`The answer is B.`), so everything trains and evaluates offline.
public enum SyntheticTasks {
    public enum Domain: String, CaseIterable, Sendable {
        case arithmetic, reversal, sorting, topic
    }

    /// How an example's output names its answer.
    public enum AnswerStyle: String, CaseIterable, Sendable {
        /// The reference's multiple-choice form: `The answer is B.`, the answer a letter.
        case letter
        /// The chosen option's text: `Answer: biology`, as the GLUE-style tasks answer (no letter
        /// to bind to an option, which small models learn far more slowly than the content).
        case label
    }

    /// One example in the reference layout.
    public struct Example: Sendable, Equatable {
        public let domain: Domain
        public let instruction: String
        public let input: String
        public let output: String
        public let answer: String
    }

    private static let topics: [(String, [String])] = [
        ("biology", ["cell", "gene", "protein", "enzyme", "leaf", "organ"]),
        ("physics", ["force", "energy", "photon", "magnet", "velocity", "mass"]),
        ("chemistry", ["acid", "molecule", "bond", "salt", "catalyst", "ion"]),
        ("economics", ["price", "market", "tax", "trade", "wage", "demand"]),
    ]

    /// `count` examples per domain, deterministic for `seed`, domains interleaved.
    ///
    /// - Parameters:
    ///   - shuffleOptions: with false, the options keep a fixed order (for the topic domain:
    ///     always biology, physics, chemistry, economics), an easier task.
    ///   - answers: how outputs name the answer; the questions and options are the same for both.
    public static func generate(domains: [Domain] = Domain.allCases, count: Int, seed: UInt64,
                                shuffleOptions: Bool = true, answers: AnswerStyle = .letter) -> [Example] {
        var random = SplitMix(seed: seed)
        var examples: [Example] = []
        for _ in 0..<count {
            for domain in domains { examples.append(example(domain, shuffleOptions: shuffleOptions, answers: answers, &random)) }
        }
        return examples
    }

    /// Three distinct shuffles of `text`'s letters other than `correct` (random words when the
    /// letters allow too few).
    private static func anagrams(of text: String, avoiding correct: String, _ random: inout SplitMix) -> [String] {
        var result: [String] = []
        var attempts = 0
        while result.count < 3 {
            attempts += 1
            let candidate = attempts < 50 ? String(text.shuffled(using: &random))
                : String((0..<text.count).map { _ in Character(Unicode.Scalar(UInt8(97 + Int(random.next() % 26)))) })
            if candidate != correct && !result.contains(candidate) { result.append(candidate) }
        }
        return result
    }

    private static func example(_ domain: Domain, shuffleOptions: Bool, answers: AnswerStyle, _ random: inout SplitMix) -> Example {
        func integer(_ range: Range<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }
        func word(_ length: Int) -> String {
            String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(97 + integer(0..<26)))) })
        }
        let question: String
        let correct: String
        var wrong: [String] = []
        switch domain {
        case .arithmetic:
            let (a, b) = (integer(0..<50), integer(0..<50))
            question = "What is \(a) + \(b)?"
            correct = String(a + b)
            while wrong.count < 3 {
                let candidate = String(a + b + integer(-9..<10))
                if candidate != correct && !wrong.contains(candidate) { wrong.append(candidate) }
            }
        case .reversal:
            let text = word(5)
            question = "Which is \(text) written backwards?"
            correct = String(text.reversed())
            wrong = anagrams(of: text, avoiding: correct, &random)
        case .sorting:
            let text = word(5)
            question = "Which are the letters of \(text) in alphabetical order?"
            correct = String(text.sorted())
            wrong = anagrams(of: text, avoiding: correct, &random)
        case .topic:
            let index = integer(0..<topics.count)
            let keywords = topics[index].1
            let (first, second) = (keywords[integer(0..<keywords.count)], keywords[integer(0..<keywords.count)])
            question = "Which subject is a text about \(first) and \(second)?"
            correct = topics[index].0
            wrong = topics.map(\.0).filter { $0 != correct }
        }
        var options = [correct] + wrong.prefix(3)
        if shuffleOptions {
            options.shuffle(using: &random)
        } else if domain == .topic {
            options = topics.map(\.0)
        } else {
            options.sort()
        }
        let letter = ["A", "B", "C", "D"][options.firstIndex(of: correct)!]
        let listed = zip(["A", "B", "C", "D"], options).map { "(\($0)) \($1)" }.joined(separator: " ")
        switch answers {
        case .letter:
            return Example(domain: domain, instruction: question, input: "Options: \(listed)",
                           output: "The answer is \(letter).", answer: letter)
        case .label:
            return Example(domain: domain, instruction: question, input: "Options: \(listed)",
                           output: "Answer: \(correct)", answer: correct)
        }
    }
}
