import Foundation

/// Element-wise kernels over flat Float buffers, eight lanes at a time.
///
/// The model's non-matrix work (softmax rows, SwiGLU, RMSNorm) is dominated by `exp` and by
/// reductions. Scalar `expf` is a library call per element and a scalar reduction is one long
/// dependency chain (the compiler may not reorder float additions), so both are written here
/// over `SIMD8<Float>`: a vectorised `exp` and reductions with eight partial sums. Results
/// differ from the scalar loops only by rounding (`exp` within 2 ulp of the correctly rounded
/// value; sums in a different order).
public enum VectorMath {
    public typealias Vector = SIMD8<Float>

    /// `e^x` for eight lanes, within 2 ulp of the correctly rounded value for normal results.
    ///
    /// ```
    /// n = round(x / ln 2),  r = x - n ln 2  (ln 2 in two parts, Cody-Waite: r is exact)
    /// e^x = 2^n * (1 + r + r^2 P(r)),  |r| <= ln 2 / 2,  P of degree 5 (Cephes expf)
    /// ```
    /// Results below the smallest normal Float (x < -87.34) are 0, above the largest (x > 88.72)
    /// infinity; NaN stays NaN.
    @inlinable @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        let lowest = Vector(repeating: -87.336_544), highest = Vector(repeating: 88.722_84)
        // Comparisons and masked replacement: the standard library's pointwiseMin/Max are
        // generic calls that do not inline.
        var clamped = x
        clamped.replace(with: highest, where: x .> highest)
        clamped.replace(with: lowest, where: x .< lowest)
        // Adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits.
        let magic = Vector(repeating: 12_582_912)
        let shifted = clamped * Vector(repeating: 1.442_695_04) + magic
        let n = shifted - magic
        let r = clamped - n * Vector(repeating: 0.693_359_375) - n * Vector(repeating: -2.121_944_4e-4)
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + Vector(repeating: 1.398_199_95e-3)
        p = p * r + Vector(repeating: 8.333_451_9e-3)
        p = p * r + Vector(repeating: 4.166_579_59e-2)
        p = p * r + Vector(repeating: 1.666_666_55e-1)
        p = p * r + Vector(repeating: 5.000_000_1e-1)
        let expR = p * r * r + r + 1
        // 2^n from n's bits: the integer sits in shifted's mantissa, offset by magic's bits. n
        // runs from -126 to 128, so it is applied in two halves, each a normal Float.
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let half = integer &>> 1
        let first = unsafeBitCast((half &+ 127) &<< 23, to: Vector.self)
        let second = unsafeBitCast((integer &- half &+ 127) &<< 23, to: Vector.self)
        var result = expR * first * second
        result.replace(with: Vector(repeating: .infinity), where: x .> highest)
        result.replace(with: 0, where: x .< lowest)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// The largest of `count` values (`-infinity` when `count` is 0).
    public static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = Vector(repeating: -.infinity)
        var index = 0
        while index + 8 <= count {
            let x = load(values + index)
            lanes.replace(with: x, where: x .> lanes)
            index += 8
        }
        let rest = partialLoad(values + index, count: count - index, filling: -.infinity)
        lanes.replace(with: rest, where: rest .> lanes)
        var result = lanes[0]
        for lane in 1..<8 { result = max(result, lanes[lane]) }
        return result
    }

    /// `sum of x^2` over `count` values.
    public static func sumOfSquares(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = Vector.zero
        var index = 0
        while index + 8 <= count {
            let x = load(values + index)
            lanes += x * x
            index += 8
        }
        let rest = partialLoad(values + index, count: count - index, filling: 0)
        lanes += rest * rest
        return lanes.sum()
    }

    /// The arithmetic of a softmax: eight lanes with the vectorised `exp` (attention rows, the
    /// generator, cross-entropy), or one value at a time with libm's `exp`, sums in index order
    /// and a division (routers: a row of a few experts gains nothing from lanes, and routing
    /// decisions, near ties included, stay those of every report made before).
    public enum Arithmetic: Sendable {
        case lanes
        case scalar
    }

    /// Overwrites `row` with `softmax(row)`: `e^(x_i - max) / sum_j e^(x_j - max)`. The one
    /// softmax of the package, in the arithmetic asked for.
    public static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int, arithmetic: Arithmetic = .lanes) {
        if arithmetic == .scalar {
            guard count > 0 else { return }
            var largest = -Float.infinity
            for index in 0..<count { largest = max(largest, row[index]) }
            var sum: Float = 0
            for index in 0..<count { row[index] = Foundation.exp(row[index] - largest); sum += row[index] }
            for index in 0..<count { row[index] /= sum }
            return
        }
        guard count > 0 else { return }
        _ = exponentiateAndNormalise(UnsafePointer(row), into: row, count: count)
    }

    /// Writes `softmax(x)` into `out` (which may be `x`) and returns the log-normaliser
    /// `log sum_j e^(x_j)`, so that `log softmax(x)_i = x_i - ` the result (cross-entropy).
    ///
    /// ```
    /// m = max_j x_j;  s = sum_j e^(x_j - m);  out_i = e^(x_i - m) / s;  returns m + log s
    /// ```
    @discardableResult
    public static func softmax(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) -> Double {
        guard count > 0 else { return -.infinity }
        let (largest, sum) = exponentiateAndNormalise(x, into: out, count: count)
        return Double(largest) + Foundation.log(Double(sum))
    }

    /// The work of `softmax`: returns `m` and `s` (the log is taken only by those who ask).
    @inline(__always)
    static func exponentiateAndNormalise(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                         count: Int) -> (largest: Float, sum: Float) {
        if count < 8 { return shortSoftmax(x, into: out, count: count) }
        let largest = maximum(x, count: count)
        let broadcast = Vector(repeating: largest)
        var sums = Vector.zero
        var index = 0
        while index + 8 <= count {
            let e = exp(load(x + index) - broadcast)
            store(e, out + index)
            sums += e
            index += 8
        }
        // The tail in one vector: padding of -infinity contributes e^-inf = 0.
        let rest = exp(partialLoad(x + index, count: count - index, filling: -.infinity) - broadcast)
        partialStore(rest, out + index, count: count - index)
        sums += rest
        let sum = sums.sum()
        scale(out, count: count, by: 1 / sum)
        return (largest, sum)
    }

    /// `log sum_j e^(x_j)` of `count` values (at least one), writing nothing: a language model's
    /// log-normaliser over its vocabulary.
    ///
    /// ```
    /// m = max_j x_j;  returns m + log sum_j e^(x_j - m)
    /// ```
    /// The exponentials are summed in eight Float lanes a block of 1,024 values at a time, each
    /// block's sum added in Double, so a vocabulary of 50,000 loses no more than a short sum would.
    public static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Double {
        precondition(count > 0, "logSumExp: no values")
        let largest = maximum(x, count: count)
        guard largest.isFinite else { return Double(largest) }  // +infinity, or -infinity throughout
        let broadcast = Vector(repeating: largest)
        var total = 0.0
        var index = 0
        while index + 8 <= count {
            let end = min(count, index + 1024)
            var sums = Vector.zero
            while index + 8 <= end {
                sums += exp(load(x + index) - broadcast)
                index += 8
            }
            total += Double(sums.sum())
        }
        total += Double(exp(partialLoad(x + index, count: count - index, filling: -.infinity) - broadcast).sum())
        return Double(largest) + Foundation.log(total)
    }

    /// `softmax` of fewer than 8 values (routers' rows): one load instead of two and no scalar
    /// tail loop, the same arithmetic lane for lane.
    @inline(__always)
    static func shortSoftmax(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) -> (largest: Float, sum: Float) {
        let values = partialLoad(x, count: count, filling: -.infinity)
        var largest = values[0]
        for lane in 1..<8 { largest = max(largest, values[lane]) }
        let e = exp(values - Vector(repeating: largest))
        let sum = (Vector.zero + e).sum()
        partialStore(e * (1 / sum), out, count: count)
        return (largest, sum)
    }

    /// `values *= factor`.
    public static func scale(_ values: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        var index = 0
        while index + 8 <= count {
            store(load(values + index) * factor, values + index)
            index += 8
        }
        while index < count {
            values[index] *= factor
            index += 1
        }
    }

    /// SwiGLU's product: `out = silu(gate) * up`, `silu(g) = g / (1 + e^-g)`.
    public static func siluProduct(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 8 <= count {
            let g = load(gate + index)
            store(g / (1 + exp(-g)) * load(up + index), out + index)
            index += 8
        }
        let rest = count - index
        let g = partialLoad(gate + index, count: rest, filling: 0)
        partialStore(g / (1 + exp(-g)) * partialLoad(up + index, count: rest, filling: 0), out + index, count: rest)
    }

    /// SwiGLU's backward, `h = silu(g) * u`: overwrites `dGate` and `dUp`.
    ///
    /// ```
    /// sigma = 1 / (1 + e^-g);  dg = dh * u * sigma * (1 + g (1 - sigma));  du = dh * g * sigma
    /// ```
    public static func siluProductBackward(_ dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                                           dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int) {
        @inline(__always) func step(_ d: Vector, _ g: Vector, _ u: Vector) -> (Vector, Vector) {
            let sigma = 1 / (1 + exp(-g))
            return (d * u * sigma * (1 + g * (1 - sigma)), d * g * sigma)
        }
        var index = 0
        while index + 8 <= count {
            let (gradientGate, gradientUp) = step(load(dout + index), load(gate + index), load(up + index))
            store(gradientGate, dGate + index)
            store(gradientUp, dUp + index)
            index += 8
        }
        let rest = count - index
        let (gradientGate, gradientUp) = step(partialLoad(dout + index, count: rest, filling: 0),
                                              partialLoad(gate + index, count: rest, filling: 0),
                                              partialLoad(up + index, count: rest, filling: 0))
        partialStore(gradientGate, dGate + index, count: rest)
        partialStore(gradientUp, dUp + index, count: rest)
    }

    /// The first `count` (0 to 7) values, the other lanes `filling`: vector loops' tails.
    @inline(__always)
    static func partialLoad(_ pointer: UnsafePointer<Float>, count: Int, filling: Float) -> Vector {
        var vector = Vector(repeating: filling)
        for lane in 0..<count { vector[lane] = pointer[lane] }
        return vector
    }

    @inline(__always)
    static func partialStore(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        for lane in 0..<count { pointer[lane] = vector[lane] }
    }

    @inlinable @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inlinable @inline(__always)
    static func store(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: Vector.self)
    }
}
