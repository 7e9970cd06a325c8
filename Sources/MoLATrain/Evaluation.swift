import Foundation
import MoLAModel
import MoLAText

/// Accuracy by generation, as the reference evaluates: greedy decoding, then the answer taken
/// from the text with `The answer is ([A-Z]).` (exactly one match, else wrong) or
/// `Answer: <label>`.
public enum Evaluation {
    /// The letter of `The answer is X.` when the text holds exactly one such sentence.
    public static func answerLetter(_ text: String) -> String? {
        let matches = text.matches(of: #/The answer is ([A-Z])\./#)
        guard matches.count == 1 else { return nil }
        return String(matches[0].output.1)
    }

    /// The label of `Answer: <label>` (the first one), for the GLUE-style tasks.
    public static func answerLabel(_ text: String) -> String? {
        guard let match = text.firstMatch(of: #/Answer: *([^\s.]+)/#) else { return nil }
        return String(match.output.1)
    }

    /// What `text` answers, read as `answer` is written: a capital letter is a choice among
    /// lettered options (`The answer is X.` only); anything else, a word or a number (also a
    /// one-digit one), a label (`The answer is X.` or `Answer: <label>`).
    static func prediction(for answer: String, in text: String) -> String? {
        let isLetter = answer.count == 1 && answer.allSatisfy { ("A"..."Z").contains($0) }
        return answerLetter(text) ?? (isLetter ? nil : answerLabel(text))
    }

    /// One evaluated question.
    public struct Item: Sendable {
        public let group: String
        public let prompt: String
        public let answer: String

        public init(group: String, prompt: String, answer: String) {
            self.group = group
            self.prompt = prompt
            self.answer = answer
        }
    }

    /// Correct answers and totals per group, in the order groups first appear.
    public struct Result: Sendable {
        public let groups: [(name: String, correct: Int, total: Int)]
        public var correct: Int { groups.reduce(0) { $0 + $1.correct } }
        public var total: Int { groups.reduce(0) { $0 + $1.total } }
        public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
    }

    /// Generates an answer for every item and scores it.
    ///
    /// - Parameters:
    ///   - tokenizer: the base's; generation stops at its end token.
    ///   - progress: called with (done, total).
    public static func run(_ items: [Item], generator: KeyValueCacheGenerator, tokenizer: BaseTokenizer = .bytes, maxNewTokens: Int,
                           progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        var order: [String] = []
        var scores: [String: (Int, Int)] = [:]
        for (index, item) in items.enumerated() {
            // The prompt's end, leaving room for the answer (at least one prompt token: with
            // maxNewTokens at or past the capacity, generation stops when the cache is full).
            let prompt = Array(tokenizer.encode(item.prompt, appendEnd: false).suffix(max(generator.capacity - maxNewTokens, 1)))
            // Without an end token generation runs to maxNewTokens.
            let generated = try generator.generate(prompt: prompt, maxNewTokens: maxNewTokens, stop: tokenizer.endId)
            let text = tokenizer.decode(generated)
            let predicted = prediction(for: item.answer, in: text)
            if scores[item.group] == nil { order.append(item.group) }
            let (correct, total) = scores[item.group] ?? (0, 0)
            scores[item.group] = (correct + (predicted == item.answer ? 1 : 0), total + 1)
            progress?(index + 1, items.count)
        }
        return Result(groups: order.map { ($0, scores[$0]!.0, scores[$0]!.1) })
    }
}
