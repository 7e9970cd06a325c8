extension LlamaModel {
    /// Accumulates the gradients of the last forward's loss (it must have had targets) into
    /// the adapter's gradients, and the base's when `trainBase`. Call `zeroGradients()` first
    /// unless accumulating micro-batches. Overwrites the logits with their gradient.
    public func backward() {
        precondition(hasTargets, "backward: the last forward had no targets")
        precondition(adapterSpec?.routerScope != .feedForwardBlock, "backward: \(Self.feedForwardExpertsHaveNoBackward)")
        let active = lastActiveLanes
        let threadsInside = active == 1 ? threadCount : 1
        logitsHoldGradients = true
        parallel(active, threads: active) { index in
            lanes[index].backward(normaliser: lastCounted, trainBase: trainBase, threads: threadsInside)
        }
        // Lane 0 wrote into the model's buffers; add the others' and clear them.
        // A frozen base has no gradients: asking for them here would allocate them.
        for lane in lanes.dropFirst().prefix(active - 1) {
            for (target, source) in [(adapter, lane.adapter), (base, lane.base)] where source !== target && source.hasGradients {
                let (sum, part) = (target.gradients, source.gradients)
                for i in 0..<sum.count { sum.pointer[i] += part.pointer[i] }
                part.zero()
            }
        }
    }
}
