import MoLATensor
import Foundation
import MoLACheckpoint

extension LlamaModel {
    /// A new random base: weights normal with standard deviation 0.02 (as Hugging Face's
    /// LLaMA initialises them), norms at 1. Deterministic for a seed.
    public func initialiseBase(seed: UInt64) {
        var random = SplitMix(seed: seed)
        for name in base.names {
            let view = base.view(name)
            let target = base.values.pointer + view.offset
            if BaseTensorName.isNorm(name) {
                target.update(repeating: 1, count: view.count)
                continue
            }
            random.fillNormal(target, count: view.count, standardDeviation: 0.02)
        }
    }

    /// The reference initialisation of the adapters: every `A_i` and the router rows
    /// kaiming-uniform with a = sqrt(5), i.e. uniform in `[-1/sqrt(d_in), 1/sqrt(d_in)]`; every
    /// `B_i` zero, so the adapter adds nothing at step 0. Feed-forward experts' block routers
    /// (MixLoRA) are uniform in `[-1/sqrt(C), 1/sqrt(C)]` alike.
    public func initialiseAdapter(seed: UInt64) {
        var random = SplitMix(seed: seed)
        adapter.values.zero()
        let projections = lanes[0].projections.joined().filter { $0.experts > 0 }.map { projection in
            (bound: 1 / Float(projection.inputWidth).squareRoot(), names: [projection.aName] + (projection.hasRouter ? [projection.routerName] : []))
        }
        let blockRouters = adapterLayout.feedForwardExperts.compactMap { $0 }.map { layout in
            (bound: 1 / Float(layout.hiddenSize).squareRoot(), names: [layout.routerName])
        }
        for (bound, names) in projections + blockRouters {
            for name in names {
                let view = adapter.view(name)
                for i in 0..<view.count { adapter.values.pointer[view.offset + i] = random.uniform(bound) }
            }
        }
    }
}
