import Foundation

/// A plain-text table with aligned columns: text left-aligned, numbers right-aligned.
struct TextTable {
    let headers: [String]
    var rows: [[String]] = []
    /// Columns to right-align (numbers).
    var rightAligned: Set<Int> = []

    init(headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    func rendered() -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0.count > column ? $0[column].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: max(0, widths[column] - cell.count))
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}

/// `1234567` as `1,234,567`.
func groupedDigits(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return value < 0 ? "-" + result : result
}

/// A distance for a table: 6 significant digits, or `n/a` when absent or not finite.
func formatted(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "n/a" }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1e-3 && magnitude < 1e6 {
        return String(format: "%.6g", value)
    }
    return String(format: "%.4e", value)
}
