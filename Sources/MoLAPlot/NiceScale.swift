import Foundation

/// Tick values at "nice" steps (1, 2, 2.5 or 5 times a power of ten) covering a data range.
public struct NiceScale: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let ticks: [Double]

    /// - Parameters:
    ///   - minimum, maximum: the data range (equal values get a range around them).
    ///   - targetTicks: about how many ticks to make.
    ///   - integer: steps of at least 1 (for layer indices).
    ///   - includeZero: extend the range to 0 (bars).
    public init(minimum: Double, maximum: Double, targetTicks: Int = 5, integer: Bool = false, includeZero: Bool = false) {
        var low = minimum.isFinite ? minimum : 0
        var high = maximum.isFinite ? maximum : 1
        if includeZero { low = min(low, 0); high = max(high, 0) }
        if high < low { swap(&low, &high) }
        if high - low < 1e-300 * max(1, abs(high)) {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (includeZero && low == 0 ? 0 : low - pad, high + pad)
        }
        var step = Self.niceStep((high - low) / Double(max(targetTicks - 1, 1)))
        if integer { step = max(1, step.rounded(.up)) }
        let first = (low / step).rounded(.down) * step
        let last = (high / step).rounded(.up) * step
        var ticks: [Double] = []
        var value = first
        while value <= last + step * 1e-9 && ticks.count < 100 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value = first + Double(ticks.count) * step
        }
        self.lower = first
        self.upper = last
        self.ticks = ticks
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// Tick labels with as many decimals as the step needs, and no more.
    public var labels: [String] { Self.labels(for: ticks) }

    public static func labels(for ticks: [Double]) -> [String] {
        guard ticks.count >= 2 else { return ticks.map { format($0, decimals: 2) } }
        let step = abs(ticks[1] - ticks[0])
        let largest = ticks.map(abs).max() ?? 0
        if largest >= 1e5 || (largest > 0 && largest < 1e-3) {
            return ticks.map { $0 == 0 ? "0" : String(format: "%.2g", $0) }
        }
        var decimals = 0
        while decimals < 6 && abs((step * pow(10, Double(decimals))).rounded() - step * pow(10, Double(decimals))) > 1e-6 {
            decimals += 1
        }
        return ticks.map { format($0, decimals: decimals) }
    }

    private static func format(_ value: Double, decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}
