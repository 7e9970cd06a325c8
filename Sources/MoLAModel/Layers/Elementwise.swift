import Foundation
import MoLATensor

// Layers without matrix products, as forward/backward pairs over flat buffers.
// Legend: N tokens (batch x time), C channels, V vocabulary.

/// Token embedding: `out[n] = table[token[n]]`.
enum Embedding {
    /// table is [V, C], out is [N, C].
    static func forward(tokens: [Int], table: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, channels: Int) {
        for (n, token) in tokens.enumerated() {
            (out + n * channels).update(from: table + token * channels, count: channels)
        }
    }

    /// dTable[token[n]] += dout[n].
    static func backward(tokens: [Int], dout: UnsafePointer<Float>, dTable: UnsafeMutablePointer<Float>, channels: Int) {
        for (n, token) in tokens.enumerated() {
            let row = dTable + token * channels, gradient = dout + n * channels
            for c in 0..<channels { row[c] += gradient[c] }
        }
    }
}

/// RMSNorm: `y = x / sqrt(mean(x^2) + eps) * w`.
enum RMSNorm {
    /// x, out are [N, C]; weight is [C]; rstd [N] keeps 1/rms for the backward.
    static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                        rstd: UnsafeMutablePointer<Float>, count: Int, channels: Int, epsilon: Float) {
        for n in 0..<count {
            let row = x + n * channels
            let sum = VectorMath.sumOfSquares(row, count: channels)
            let inverse = 1 / (sum / Float(channels) + epsilon).squareRoot()
            rstd[n] = inverse
            let target = out + n * channels
            for c in 0..<channels { target[c] = row[c] * inverse * weight[c] }
        }
    }

    /// ```
    /// xhat = x * r;  y = xhat * w
    /// dx = r * (dy*w - xhat * mean(dy*w*xhat));   dw += sum_n dy * xhat
    /// ```
    static func backward(_ dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
                         count: Int, channels: Int) {
        for n in 0..<count {
            let row = x + n * channels, gradient = dout + n * channels, target = dx + n * channels
            let r = rstd[n]
            var dot: Float = 0
            for c in 0..<channels { dot += gradient[c] * weight[c] * row[c] * r }
            let mean = dot / Float(channels)
            for c in 0..<channels {
                let xhat = row[c] * r
                target[c] += r * (gradient[c] * weight[c] - xhat * mean)
                dWeight?[c] += gradient[c] * xhat
            }
        }
    }
}

/// Rotary position embedding, Hugging Face convention (rotate-half):
/// ```
/// x' = x * cos + rotate_half(x) * sin      rotate_half([x1, x2]) = [-x2, x1]
/// angle(t, i) = t * theta^(-2i/D),  i < D/2, both halves share the angle
/// ```
struct RotaryTable {
    let cos: [Float]
    let sin: [Float]
    let half: Int

    /// Angles for positions `0..<length` and head dimension `dimension`.
    init(length: Int, dimension: Int, theta: Double) {
        half = dimension / 2
        var cos = [Float](repeating: 0, count: length * half), sin = cos
        for t in 0..<length {
            for i in 0..<half {
                // In Float, as PyTorch computes inv_freq and the outer product in float32.
                let frequency = Float(1) / Float(pow(theta, Double(2 * i) / Double(dimension)))
                let angle = Float(t) * frequency
                cos[t * half + i] = Foundation.cos(angle)
                sin[t * half + i] = Foundation.sin(angle)
            }
        }
        self.cos = cos
        self.sin = sin
    }

    /// Rotates the heads of one token's row (`heads * D` values) at `position`.
    func apply(row: UnsafeMutablePointer<Float>, position: Int, heads: Int) {
        let dimension = 2 * half
        for h in 0..<heads {
            let head = row + h * dimension
            for i in 0..<half {
                let c = cos[position * half + i], s = sin[position * half + i]
                let first = head[i], second = head[i + half]
                head[i] = first * c - second * s
                head[i + half] = second * c + first * s
            }
        }
    }

    /// Rotates every head of x ([B*T, heads*D]) in place; `inverse` applies the transpose (backward).
    func apply(_ x: UnsafeMutablePointer<Float>, batch: Int, time: Int, heads: Int, inverse: Bool) {
        let dimension = 2 * half
        cos.withUnsafeBufferPointer { cos in
            sin.withUnsafeBufferPointer { sin in
                for b in 0..<batch {
                    for t in 0..<time {
                        let row = x + (b * time + t) * heads * dimension
                        for h in 0..<heads {
                            let head = row + h * dimension
                            for i in 0..<half {
                                let c = cos[t * half + i], s = inverse ? -sin[t * half + i] : sin[t * half + i]
                                let first = head[i], second = head[i + half]
                                head[i] = first * c - second * s
                                head[i + half] = second * c + first * s
                            }
                        }
                    }
                }
            }
        }
    }
}

/// SwiGLU: `h = silu(g) * u`, silu(g) = g * sigmoid(g).
enum SwiGLU {
    static func forward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.siluProduct(gate: gate, up: up, out: out, count: count)
    }

    /// dg = dh * u * sigmoid(g) * (1 + g * (1 - sigmoid(g)));  du = dh * silu(g). Overwrites dGate, dUp.
    static func backward(_ dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                         dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.siluProductBackward(dout, gate: gate, up: up, dGate: dGate, dUp: dUp, count: count)
    }

    /// The naive reference of `backward`: a scalar loop with the library's `exp`.
    static func backwardReference(_ dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                                  dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            let sigmoid = 1 / (1 + exp(-g))
            dGate[i] = dout[i] * up[i] * sigmoid * (1 + g * (1 - sigmoid))
            dUp[i] = dout[i] * g * sigmoid
        }
    }
}

/// Cross-entropy over logits with ignored positions (target < 0), mean over the rest.
enum CrossEntropy {
    /// logits are [N, V]; writes dlogits = (softmax - onehot) / normaliser (which may be the
    /// logits themselves) and returns the summed loss over counted targets divided by
    /// `normaliser` (pass the counted targets of the whole batch for a mean; 1 for the sum).
    static func forwardBackward(logits: UnsafePointer<Float>, targets: [Int], vocabulary: Int,
                                dLogits: UnsafeMutablePointer<Float>?, normaliser: Int) -> Double {
        let counted = normaliser
        guard counted > 0 else {
            dLogits?.update(repeating: 0, count: targets.count * vocabulary)
            return 0
        }
        // Without dLogits the probabilities go to one row of scratch.
        let spare = dLogits == nil ? UnsafeMutablePointer<Float>.allocate(capacity: vocabulary) : nil
        defer { spare?.deallocate() }
        var total = 0.0
        for (n, target) in targets.enumerated() {
            let row = logits + n * vocabulary
            guard target >= 0 else {
                dLogits.map { ($0 + n * vocabulary).update(repeating: 0, count: vocabulary) }
                continue
            }
            let probabilities = dLogits.map { $0 + n * vocabulary } ?? spare!
            // -log softmax(row)_target; the target's logit read first, as the softmax may overwrite the row.
            let targetLogit = Double(row[target])
            total += VectorMath.softmax(row, into: probabilities, count: vocabulary) - targetLogit
            if dLogits != nil {
                VectorMath.scale(probabilities, count: vocabulary, by: 1 / Float(counted))
                probabilities[target] -= 1 / Float(counted)
            }
        }
        return total / Double(counted)
    }
}
