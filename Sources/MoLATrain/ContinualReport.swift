import MoLAFiles

/// The `continual` report (`continual.json` in its output, and `--json`): the domains in training
/// order, the accuracy matrix `R`, its overall performance and backward transfer, and one entry per
/// domain's training run. `plot continual` reads it back; layout in README.md.
public struct ContinualReport: Sendable, Codable {
    public var base: String
    /// Experts per layer of the adapter trained.
    public var allocation: [Int]
    /// Experts chosen per token, per layer.
    public var topK: [Int]
    public var seed: Int
    public var domains: [String]
    /// Questions scored per domain.
    public var questions: [Int]
    /// `R[t][i]`: accuracy on domain i after training through domain t.
    public var accuracies: [[Double]]
    public var overallPerformance: Double
    public var backwardTransfer: Double
    public var runs: [Run]

    /// One domain's training, in order.
    public struct Run: Sendable, Codable {
        public var domain: String
        public var steps: Int
        /// The loss of the last step.
        public var loss: Double
        public var trainingSeconds: Double
        public var evaluationSeconds: Double
        /// The adapter after this domain, relative to the report's directory.
        public var checkpoint: String

        public init(domain: String, steps: Int, loss: Double, trainingSeconds: Double, evaluationSeconds: Double, checkpoint: String) {
            (self.domain, self.steps, self.loss, self.trainingSeconds) = (domain, steps, loss, trainingSeconds)
            (self.evaluationSeconds, self.checkpoint) = (evaluationSeconds, checkpoint)
        }

        enum CodingKeys: String, CodingKey {
            case domain, steps, loss, trainingSeconds = "training_seconds", evaluationSeconds = "evaluation_seconds", checkpoint
        }
    }

    /// The report of a complete matrix.
    public init(base: String, allocation: [Int], topK: [Int], seed: Int, questions: [Int], matrix: AccuracyMatrix, runs: [Run]) {
        precondition(matrix.isComplete && questions.count == matrix.domains.count && runs.count == matrix.domains.count,
                     "ContinualReport: an incomplete run")
        (self.base, self.allocation, self.topK, self.seed, self.questions) = (base, allocation, topK, seed, questions)
        (domains, accuracies, self.runs) = (matrix.domains, matrix.rows, runs)
        overallPerformance = matrix.overallPerformance!
        backwardTransfer = matrix.backwardTransfer!
    }

    /// The matrix the report holds.
    public var matrix: AccuracyMatrix { AccuracyMatrix(domains: domains, rows: accuracies) }

    enum CodingKeys: String, CodingKey {
        case base, allocation, topK = "top_k", seed, domains, questions, accuracies = "R"
        case overallPerformance = "overall_performance", backwardTransfer = "backward_transfer", runs
    }

    /// Decodes a report and checks that its parts agree: at least two domains, a square `R` of
    /// accuracies in [0, 1] over them, and OP and BWT equal to those `R` gives.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        base = try container.decode(String.self, forKey: .base)
        allocation = try container.decode([Int].self, forKey: .allocation)
        topK = try container.decode([Int].self, forKey: .topK)
        seed = try container.decode(Int.self, forKey: .seed)
        let domains = try container.decode([String].self, forKey: .domains)
        self.domains = domains
        guard domains.count >= 2, Set(domains).count == domains.count else {
            throw JSONExpectation.error("at least two distinct domain names", forKey: .domains, in: container)
        }
        questions = try container.decode([Int].self, forKey: .questions)
        guard questions.count == domains.count, questions.allSatisfy({ $0 > 0 }) else {
            throw JSONExpectation.error("one positive count per domain", forKey: .questions, in: container)
        }
        accuracies = try container.decode([[Double]].self, forKey: .accuracies)
        guard accuracies.count == domains.count, accuracies.allSatisfy({ $0.count == domains.count && $0.allSatisfy { (0...1).contains($0) } }) else {
            throw JSONExpectation.error("\(domains.count) rows of \(domains.count) accuracies between 0 and 1", forKey: .accuracies, in: container)
        }
        overallPerformance = try container.decode(Double.self, forKey: .overallPerformance)
        backwardTransfer = try container.decode(Double.self, forKey: .backwardTransfer)
        let matrix = AccuracyMatrix(domains: domains, rows: accuracies)
        guard abs(overallPerformance - matrix.overallPerformance!) <= 1e-9 else {
            throw JSONExpectation.error("the mean of R's last row, \(matrix.overallPerformance!)", forKey: .overallPerformance, in: container)
        }
        guard abs(backwardTransfer - matrix.backwardTransfer!) <= 1e-9 else {
            throw JSONExpectation.error("R's backward transfer, \(matrix.backwardTransfer!)", forKey: .backwardTransfer, in: container)
        }
        runs = try container.decode([Run].self, forKey: .runs)
        guard runs.map(\.domain) == domains else {
            throw JSONExpectation.error("one run per domain, in the domains' order", forKey: .runs, in: container)
        }
    }
}
