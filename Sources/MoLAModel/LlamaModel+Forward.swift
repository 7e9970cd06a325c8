import MoLACheckpoint
import MoLATensor

/// The losses of one forward pass.
public struct ForwardResult: Sendable {
    /// Cross-entropy (mean over counted targets) plus the weighted balance term.
    public let loss: Double
    public let crossEntropy: Double
    /// The sum over layers of `E_l * sum_i f_i * Pbar_i` (before the coefficient); 0 when off.
    public let balance: Double
}

extension LlamaModel {
    /// Runs the model on `tokens` ([batch, time] row-major, batch at most the model's) and, with
    /// `targets` (same layout, negative = ignored), the loss. Sequences are split between the
    /// lanes, which run in parallel.
    ///
    /// - Parameters:
    ///   - training: applies adapter dropout.
    ///   - logits: computes the final norm and LM head without targets (routing passes skip them).
    /// - Throws: `ModelError.tokenOutOfRange`; `.noBackward` for `training` with feed-forward
    ///   experts (MixLoRA), which this model runs but does not train.
    @discardableResult
    public func forward(tokens: [Int], targets: [Int]? = nil, training: Bool = false, logits: Bool = true) throws -> ForwardResult {
        if training, adapterSpec?.routerScope == .feedForwardBlock { throw ModelError.noBackward(Self.feedForwardExpertsHaveNoBackward) }
        let count = tokens.count
        precondition(count % time == 0 && count / time <= batch && count > 0,
                     "forward: \(count) tokens is not 1 to \(batch) sequences of \(time)")
        for (position, token) in tokens.enumerated() where token < 0 || token >= config.vocabularySize {
            throw ModelError.tokenOutOfRange(token: token, position: position, vocabularySize: config.vocabularySize)
        }
        if let targets {
            precondition(targets.count == count, "forward: \(targets.count) targets for \(count) tokens")
            for (position, token) in targets.enumerated() where token >= config.vocabularySize {
                throw ModelError.tokenOutOfRange(token: token, position: position, vocabularySize: config.vocabularySize)
            }
        }
        let sequences = count / time
        let active = min(lanes.count, sequences)
        let ranges = (0..<active).map { lane in (lane * sequences / active * time)..<((lane + 1) * sequences / active * time) }
        hasTargets = targets != nil
        logitsHoldGradients = false
        lastActiveLanes = active
        lastCounted = targets?.filter { $0 >= 0 }.count ?? 0
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: active)
        defer { sums.deallocate() }
        let threadsInside = active == 1 ? threadCount : 1
        parallel(active, threads: active) { index in
            sums[index] = lanes[index].forward(tokens: Array(tokens[ranges[index]]), targets: targets.map { Array($0[ranges[index]]) } ?? [],
                                               training: training, logits: logits, threads: threadsInside)
        }
        let balance = combineBalance(active: active)
        if let routingTap { recordRouting(into: routingTap, active: active) }
        guard targets != nil else { return ForwardResult(loss: 0, crossEntropy: 0, balance: balance) }
        let crossEntropy = lastCounted > 0 ? sums.reduce(0, +) / Double(lastCounted) : 0
        let coefficient = adapterSpec?.balanceCoefficient ?? 0
        return ForwardResult(loss: crossEntropy + coefficient * balance, crossEntropy: crossEntropy, balance: balance)
    }

    /// The logits of the last forward, [tokens, vocabulary]; a `backward()` overwrites them with
    /// their gradient (in place, the largest buffer of a training step), so read them before it.
    public var logits: [Float] {
        precondition(!logitsHoldGradients, "logits: backward() has overwritten them with their gradient")
        let active = lanes.prefix(lastActiveLanes), vocabulary = config.vocabularySize
        // One copy straight into the result (flatMap of per-lane arrays copied each twice).
        return [Float](unsafeUninitializedCapacity: active.reduce(0) { $0 + $1.count } * vocabulary) { buffer, initialized in
            for lane in active {
                (buffer.baseAddress! + initialized).update(from: lane.final.logits.pointer, count: lane.count * vocabulary)
                initialized += lane.count * vocabulary
            }
        }
    }

    /// Each layer's balance term `E * sum_i f_i * Pbar_i`, pooled over its routed projections and
    /// over every lane's tokens; hands each lane the gradient with respect to each row's
    /// probabilities, `coefficient * E * f_i / rows`. Returns the sum over layers (0 when off).
    private func combineBalance(active: Int) -> Double {
        for lane in lanes { lane.balanceGradients = [] }
        guard let coefficient = adapterSpec?.balanceCoefficient else { return 0 }
        var total = 0.0
        for layer in 0..<config.layerCount {
            // Plain LoRA's trivial routing (one expert) takes no part.
            let routed = lanes.prefix(active).map { lane in (routers: lane.routers(layer).filter { $0.experts > 1 }, count: lane.count) }
            guard let first = routed.first?.routers.first else {
                for lane in lanes { lane.balanceGradients.append(nil) }
                continue
            }
            let experts = first.experts
            var selections = [Double](repeating: 0, count: experts), probabilities = selections
            var rows = 0.0
            for (routers, count) in routed {
                for router in routers {
                    rows += Double(count)
                    for e in 0..<experts {
                        selections[e] += Double(router.selectionCounts[e])
                        probabilities[e] += router.probabilitySums[e]
                    }
                }
            }
            let shares = selections.map { $0 / (rows * Double(first.topK)) }
            total += Double(experts) * zip(shares, probabilities).reduce(0) { $0 + $1.0 * $1.1 / rows }
            let gradient = shares.map { Float(coefficient * Double(experts) * $0 / rows) }
            for lane in lanes { lane.balanceGradients.append(gradient) }
        }
        return total
    }

    /// Routing decisions of every lane, token order restored.
    private func recordRouting(into tap: RoutingTap, active: Int) {
        tap.reset()
        for layer in 0..<config.layerCount {
            let perLane = lanes.prefix(active).map { (routers: $0.routers(layer), count: $0.count) }
            for site in perLane[0].routers.indices {
                tap.record(perLane.map { ($0.routers[site], $0.count) })
            }
        }
    }

    /// Why `training` and `backward()` refuse an adapter of feed-forward experts.
    static let feedForwardExpertsHaveNoBackward =
        "MoE-PEFT MixLoRA's feed-forward experts are run here, not trained: train builds MoLA adapters"
}
