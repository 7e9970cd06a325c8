import MoLAFiles

/// The `eval --json` report: what was evaluated and the accuracy per group and overall.
/// `plot accuracy` reads it back; layout in README.md.
public struct EvaluationReport: Sendable, Codable {
    public var base: String
    /// The adapter's path; nil for the base alone.
    public var adapter: String?
    /// Experts chosen per token per layer, and where that came from, with an adapter.
    public var topK: [Int]?
    public var topKSource: String?
    public var items: Int
    public var correct: Int
    public var accuracy: Double
    public var groups: [Group]

    public struct Group: Sendable, Codable {
        public var name: String
        public var correct: Int
        public var total: Int
        public var accuracy: Double
    }

    public init(base: String, adapter: String?, topK: [Int]?, topKSource: String?, result: Evaluation.Result) {
        (self.base, self.adapter, self.topK, self.topKSource) = (base, adapter, topK, topKSource)
        (items, correct, accuracy) = (result.total, result.correct, result.accuracy)
        groups = result.groups.map { Group(name: $0.name, correct: $0.correct, total: $0.total,
                                           accuracy: $0.total > 0 ? Double($0.correct) / Double($0.total) : 0) }
    }

    enum CodingKeys: String, CodingKey {
        case base, adapter, topK = "top_k", topKSource = "top_k_source", items, correct, accuracy, groups
    }

    /// Decodes a report and checks that its counts agree (each group's and the total's).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        base = try container.decode(String.self, forKey: .base)
        adapter = try container.decodeIfPresent(String.self, forKey: .adapter)
        topK = try container.decodeIfPresent([Int].self, forKey: .topK)
        topKSource = try container.decodeIfPresent(String.self, forKey: .topKSource)
        items = try container.decode(Int.self, forKey: .items)
        correct = try container.decode(Int.self, forKey: .correct)
        accuracy = try container.decode(Double.self, forKey: .accuracy)
        groups = try container.decode([Group].self, forKey: .groups)
        let agrees = groups.allSatisfy { $0.total >= 0 && (0...max($0.total, 0)).contains($0.correct) && (0...1).contains($0.accuracy) }
            && Self.sum(groups.map(\.total)) == items && Self.sum(groups.map(\.correct)) == correct
        guard agrees else { throw JSONExpectation.error("groups whose counts add up to items and correct", forKey: .groups, in: container) }
    }

    /// The sum of `counts`, or nil when it overflows (a file's numbers may be anything).
    private static func sum(_ counts: [Int]) -> Int? {
        var total = 0
        for count in counts {
            let (next, overflow) = total.addingReportingOverflow(count)
            if overflow { return nil }
            total = next
        }
        return total
    }
}
