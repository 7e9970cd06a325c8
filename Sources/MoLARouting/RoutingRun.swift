import MoLAModel

/// Runs a model with adapters over token sequences and gathers routing statistics.
///
/// Sequences longer than the model's length are cut into consecutive windows (each starts
/// afresh: positions restart at 0); windows are right-padded to the model's length with
/// `padding`, and padded positions do not count unless `includePadding` (causal attention
/// keeps real tokens unaffected by the padding after them).
public enum RoutingRun {
    /// - Parameters:
    ///   - maxTokens: stop after this many counted tokens.
    ///   - progress: called with (counted tokens so far, total to count).
    ///   - perToken: called for every window with its records and mask (for `--per-token`).
    /// - Throws: `ModelError.tokenOutOfRange`, `RoutingError.nonFiniteProbabilities` (before
    ///   `perToken` sees that batch).
    public static func run(model: any RoutingPass, sequences: [[Int]], padding: Int, includePadding: Bool, maxTokens: Int?,
                           progress: ((Int, Int) -> Void)? = nil,
                           perToken: ((_ windowTokens: [[Int]], _ records: [RoutingRecord], _ counted: [Bool]) throws -> Void)? = nil)
        throws -> RoutingReport {
        var windows: [[Int]] = []
        var budget = maxTokens ?? Int.max
        for sequence in sequences where budget > 0 {
            var start = 0
            while start < sequence.count && budget > 0 {
                let length = min(model.time, sequence.count - start, budget)
                windows.append(Array(sequence[start..<(start + length)]))
                budget -= length
                start += length
            }
        }
        let total = windows.reduce(0) { $0 + $1.count }
        let accumulator = RoutingAccumulator()
        let tap = RoutingTap()
        let previousTap = model.routingTap
        model.routingTap = tap
        defer { model.routingTap = previousTap }
        var done = 0
        for first in stride(from: 0, to: windows.count, by: model.batch) {
            let batch = Array(windows[first..<min(first + model.batch, windows.count)])
            var tokens: [Int] = [], counted: [Bool] = []
            for window in batch {
                tokens += window + Array(repeating: padding, count: model.time - window.count)
                counted += Array(repeating: true, count: window.count)
                    + Array(repeating: includePadding, count: model.time - window.count)
            }
            try model.routingForward(tokens: tokens)
            try accumulator.add(tap.records, counted: counted)
            try perToken?(batch, tap.records, counted)
            done += batch.reduce(0) { $0 + $1.count }
            progress?(done, total)
        }
        return accumulator.report(windows: windows.count)
    }
}
