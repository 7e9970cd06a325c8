/// The assignment of least total cost (the Hungarian algorithm, `O(n^3)`).
///
/// ```
/// cost is [n, n] row-major       result[i] = the column assigned to row i
/// minimises sum_i cost[i][result[i]] over all permutations
/// ```
/// Kuhn-Munkres with row and column potentials `u`, `v` (kept so that `cost[i][j] - u[i] - v[j]
/// >= 0`, zero on the assignment) and one shortest augmenting path per row, after Jonker and
/// Volgenant's presentation. ([Kuhn 1955](https://doi.org/10.1002/nav.3800020109).)
public enum Hungarian {
    /// - Precondition: `cost` has `n * n` finite values.
    public static func assignment(_ cost: [Double], size n: Int) -> [Int] {
        precondition(cost.count == n * n && cost.allSatisfy(\.isFinite), "Hungarian: \(cost.count) costs for [\(n), \(n)], all finite")
        guard n > 0 else { return [] }
        // 1-based: index 0 is the virtual column where each augmenting path starts.
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
        var rowOfColumn = [Int](repeating: 0, count: n + 1), way = [Int](repeating: 0, count: n + 1)
        for row in 1...n {
            rowOfColumn[0] = row
            var column = 0
            var minimum = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[column] = true
                let current = rowOfColumn[column]
                var delta = Double.infinity
                var next = 0
                for candidate in 1...n where !used[candidate] {
                    let reduced = cost[(current - 1) * n + candidate - 1] - u[current] - v[candidate]
                    if reduced < minimum[candidate] {
                        minimum[candidate] = reduced
                        way[candidate] = column
                    }
                    if minimum[candidate] < delta {
                        delta = minimum[candidate]
                        next = candidate
                    }
                }
                for candidate in 0...n {
                    if used[candidate] {
                        u[rowOfColumn[candidate]] += delta
                        v[candidate] -= delta
                    } else {
                        minimum[candidate] -= delta
                    }
                }
                column = next
            } while rowOfColumn[column] != 0
            repeat {
                let previous = way[column]
                rowOfColumn[column] = rowOfColumn[previous]
                column = previous
            } while column != 0
        }
        var result = [Int](repeating: 0, count: n)
        for column in 1...n { result[rowOfColumn[column] - 1] = column - 1 }
        return result
    }
}
