import Foundation

/// SplitMix64: a small, fast, deterministic generator (dropout masks, initialisation, tests).
public struct SplitMix: RandomNumberGenerator, Sendable {
    /// The whole generator state (saved and restored to resume a run exactly).
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUnit() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [-bound, bound).
    public mutating func uniform(_ bound: Float) -> Float { (nextUnit() * 2 - 1) * bound }

    /// Two independent normal samples of mean 0 from two uniform draws (Box-Muller): the one
    /// Gaussian sampler of the package.
    ///
    /// ```
    /// u in [2^-24, 1), w in [0, 1):  r = sqrt(-2 ln u) * standardDeviation
    /// (r cos 2 pi w, r sin 2 pi w)
    /// ```
    /// ([Box and Muller 1958](https://doi.org/10.1214/aoms/1177706645).)
    public mutating func normalPair(standardDeviation: Float = 1) -> (Float, Float) {
        let u = max(nextUnit(), 0x1p-24), w = nextUnit()
        let radius = (-2 * logf(u)).squareRoot() * standardDeviation
        return (radius * cosf(2 * .pi * w), radius * sinf(2 * .pi * w))
    }

    /// Fills `count` values with normal samples, a pair per two values (the last pair's second
    /// sample dropped when `count` is odd).
    public mutating func fillNormal(_ values: UnsafeMutablePointer<Float>, count: Int, standardDeviation: Float) {
        var index = 0
        while index < count {
            let (first, second) = normalPair(standardDeviation: standardDeviation)
            values[index] = first
            if index + 1 < count { values[index + 1] = second }
            index += 2
        }
    }

    /// One standard normal sample (the first of a `normalPair`; its second is dropped).
    public mutating func normal() -> Double { Double(normalPair().0) }
}
