extension LlamaModel {
    /// Accumulates the gradients of the last forward's loss (it must have had targets) into
    /// the adapter's gradients, and the base's when `trainBase`. Call `zeroGradients()` first
    /// unless accumulating micro-batches.
    public func backward() {
        precondition(hasTargets, "backward: the last forward had no targets")
        let active = lastActiveLanes
        let threadsInside = active == 1 ? threadCount : 1
        parallel(active, threads: active) { index in
            lanes[index].backward(normaliser: lastCounted, trainBase: trainBase, threads: threadsInside)
        }
        // Lane 0 wrote into the model's buffers; add the others' and clear them.
        for lane in lanes.dropFirst().prefix(active - 1) {
            for (target, source) in [(adapter.gradients, lane.adapter.gradients), (base.gradients, lane.base.gradients)]
            where source !== target {
                for i in 0..<target.count { target.pointer[i] += source.pointer[i] }
                source.zero()
            }
        }
    }
}
