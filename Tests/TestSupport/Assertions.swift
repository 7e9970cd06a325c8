import Foundation
import Testing

/// Checks `actual` against `expected` element by element: `|a - e| <= atol + rtol * |e|`.
///
/// Sizes are compared first; a failure prints both sides. NaN matches NaN only.
public func assertClose(_ actual: [Double], _ expected: [Double], rtol: Double = 1e-6, atol: Double = 0,
                        _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(context): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        if a.isNaN && e.isNaN { continue }
        if !(abs(a - e) <= atol + rtol * abs(e)) {
            Issue.record("\(context)[\(index)]: \(a) is not within rtol \(rtol), atol \(atol) of \(e)\n  actual:   \(actual.prefix(8))\n  expected: \(expected.prefix(8))",
                         sourceLocation: sourceLocation)
            return
        }
    }
}

/// `assertClose` for single values.
public func assertClose(_ actual: Double, _ expected: Double, rtol: Double = 1e-6, atol: Double = 0,
                        _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    assertClose([actual], [expected], rtol: rtol, atol: atol, context, sourceLocation: sourceLocation)
}
