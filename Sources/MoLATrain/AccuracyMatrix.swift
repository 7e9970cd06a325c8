/// What training on domains in sequence leaves (the paper's Table 3): `R[t][i]`, the accuracy on
/// domain `i` after training through domain `t`, and its two summaries.
///
/// With `T` domains,
/// ```
/// OP  = (1 / T)       * sum over i of R[T-1][i]                 overall performance
/// BWT = (1 / (T - 1)) * sum over i < T-1 of (R[T-1][i] - R[i][i])   backward transfer
/// ```
/// (indices from 0); a negative backward transfer is forgetting.
public struct AccuracyMatrix: Sendable, Equatable {
    public let domains: [String]
    /// `rows[t][i]`, one row per domain trained so far.
    public private(set) var rows: [[Double]]

    /// An empty matrix over `domains`, filled by `append` as training goes on.
    public init(domains: [String]) {
        self.domains = domains
        rows = []
    }

    /// A complete matrix, as a report holds it.
    ///
    /// - Precondition: `rows` is square over `domains`.
    public init(domains: [String], rows: [[Double]]) {
        precondition(rows.count == domains.count && rows.allSatisfy { $0.count == domains.count },
                     "AccuracyMatrix: \(rows.count) rows for \(domains.count) domains")
        self.domains = domains
        self.rows = rows
    }

    /// Adds the accuracies on every domain after training on the next one.
    public mutating func append(_ accuracies: [Double]) {
        precondition(accuracies.count == domains.count && rows.count < domains.count,
                     "AccuracyMatrix: row \(rows.count) of \(accuracies.count) values for \(domains.count) domains")
        rows.append(accuracies)
    }

    public var isComplete: Bool { rows.count == domains.count }

    /// OP: the mean accuracy over all domains after the last one (nil until complete).
    public var overallPerformance: Double? {
        guard isComplete, let last = rows.last else { return nil }
        return last.reduce(0, +) / Double(last.count)
    }

    /// BWT: the mean change of each earlier domain's accuracy from just after it was trained to
    /// the end (nil until complete, or with fewer than two domains).
    public var backwardTransfer: Double? {
        guard isComplete, domains.count > 1, let last = rows.last else { return nil }
        let changes = (0..<(domains.count - 1)).map { last[$0] - rows[$0][$0] }
        return changes.reduce(0, +) / Double(changes.count)
    }
}
