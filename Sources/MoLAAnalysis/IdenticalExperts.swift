import MoLACheckpoint

/// Experts whose compared matrices are bitwise equal, found in one pass over their values.
///
/// Their distance is exactly 0 and needs no arithmetic: a mixture whose experts never moved
/// apart (200 copies of one initialisation, say) would otherwise send every pair down the
/// difference path, `O(E^2 r^2 d)` work for an answer of zeros. Grouping costs `O(E r d)`.
struct IdenticalExperts {
    /// `group[i]`: the lowest index of the experts equal to expert `i` (itself when unique).
    let group: [Int]

    /// Groups the experts of a projection by the values the metric compares (A for `a`,
    /// B for `b`, both for `delta`), read from the stacked buffers of `RedundancyAnalyzer`.
    init(experts: Int, rank: Int, inputWidth: Int, outputWidth: Int, metric: RedundancyMetric,
         stackedA: UnsafeBufferPointer<Double>, sideBySideB: UnsafeBufferPointer<Double>) {
        let width = experts * rank
        let block = rank * inputWidth
        func valuesA(_ expert: Int) -> UnsafeBufferPointer<Double> {
            UnsafeBufferPointer(rebasing: stackedA[(expert * block)..<((expert + 1) * block)])
        }
        func equalB(_ first: Int, _ second: Int) -> Bool {
            for row in 0..<outputWidth {
                for p in 0..<rank where sideBySideB[row * width + first * rank + p].bitPattern
                    != sideBySideB[row * width + second * rank + p].bitPattern {
                    return false
                }
            }
            return true
        }
        func equal(_ first: Int, _ second: Int) -> Bool {
            if metric != .b, !valuesA(first).elementsEqual(valuesA(second), by: { $0.bitPattern == $1.bitPattern }) { return false }
            return metric == .a || equalB(first, second)
        }
        func fingerprint(_ expert: Int) -> Int {
            var hasher = Hasher()
            if metric != .b { for value in valuesA(expert) { hasher.combine(value.bitPattern) } }
            if metric != .a {
                for row in 0..<outputWidth { for p in 0..<rank { hasher.combine(sideBySideB[row * width + expert * rank + p].bitPattern) } }
            }
            return hasher.finalize()
        }
        var representatives: [Int: [Int]] = [:]
        var group = Array(0..<experts)
        for expert in 0..<experts {
            let key = fingerprint(expert)
            if let match = representatives[key, default: []].first(where: { equal($0, expert) }) {
                group[expert] = match
            } else {
                representatives[key, default: []].append(expert)
            }
        }
        self.group = group
    }
}
