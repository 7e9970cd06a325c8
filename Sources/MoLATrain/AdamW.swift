import Foundation
import MoLAModel

/// AdamW (decoupled weight decay) over one `ParameterSet`, its moments mirroring the parameter
/// buffer element for element.
///
/// ```
/// m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
/// p -= lr * ( m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps) + weight_decay * p )
/// ```
/// ([Loshchilov and Hutter, arXiv 1711.05101](https://arxiv.org/abs/1711.05101); PyTorch's
/// `torch.optim.AdamW` defaults.)
public final class AdamW {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public private(set) var step = 0
    let parameters: ParameterSet
    let firstMoment: FloatBuffer
    let secondMoment: FloatBuffer

    public init(parameters: ParameterSet, learningRate: Float = 3e-4, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        firstMoment = FloatBuffer(count: parameters.count)
        secondMoment = FloatBuffer(count: parameters.count)
    }

    /// The moments and step, to save with a training run.
    public var state: (step: Int, first: [Float], second: [Float]) {
        (step, firstMoment.array, secondMoment.array)
    }

    /// Restores what `state` gave; the caller checked the sizes (`Trainer.restore` does, with an
    /// error naming the file).
    public func restore(step: Int, first: [Float], second: [Float]) {
        precondition(first.count == parameters.count && second.count == parameters.count, "AdamW.restore: sizes differ")
        self.step = step
        firstMoment.pointer.update(from: first, count: first.count)
        secondMoment.pointer.update(from: second, count: second.count)
    }

    /// One update from the accumulated gradients, or none when it would leave a parameter or a
    /// moment NaN or infinite.
    ///
    /// Two passes: the first computes every new value and only checks it, the second writes them,
    /// so a refused update changes nothing (neither the parameters nor the moments nor `step`).
    ///
    /// - Returns: nil when applied; else the index (into the parameter buffer) of the first value
    ///   the update would have made non-finite.
    @discardableResult
    public func update() -> Int? {
        let next = step + 1
        let correction1 = 1 - pow(beta1, Float(next)), correction2 = 1 - pow(beta2, Float(next))
        let p = parameters.values.pointer, g = parameters.gradients.pointer
        let m = firstMoment.pointer, v = secondMoment.pointer
        @inline(__always) func updated(_ i: Int) -> (parameter: Float, first: Float, second: Float) {
            let first = beta1 * m[i] + (1 - beta1) * g[i]
            let second = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            let update = (first / correction1) / ((second / correction2).squareRoot() + epsilon)
            return (p[i] - learningRate * (update + weightDecay * p[i]), first, second)
        }
        // x - x is 0 for a finite x and NaN otherwise, so one sum says whether every new value is
        // finite; a branch-free sum vectorises, where stopping at the first bad value would not.
        var probe: Float = 0
        for i in 0..<parameters.count {
            let (parameter, first, second) = updated(i)
            probe += (parameter - parameter) + (first - first) + (second - second)
        }
        guard probe == 0 else {
            return (0..<parameters.count).first { i in
                let (parameter, first, second) = updated(i)
                return !(parameter.isFinite && first.isFinite && second.isFinite)
            } ?? 0
        }
        for i in 0..<parameters.count {
            (p[i], m[i], v[i]) = updated(i)
        }
        step = next
        return nil
    }
}
