import MoLACheckpoint
import MoLAFiles
import MoLATensor

/// A LLaMA decoder with MoLA adapters whose base weights stay memory-mapped in their stored type
/// (F32, F16 or BF16), for passes that need no backward: a chunk of windows runs through one
/// layer at a time, that layer's weights converted into one reused Float32 buffer first.
///
/// ```
/// x = embed(tokens)                 the tokens' rows only, converted from the mapped table
/// for each layer l:  W = convert(layer l's 9 tensors)   [one layer, Float32, reused]
///                    x = decoder_layer(x; W)             the whole chunk, [N, C]
/// ```
/// Memory is one layer's weights, the adapter and one layer's activations for the chunk,
/// whatever the depth: a LLaMA-2-7B-shaped base in F16 (13.5 GB mapped) routes in under 1.5 GB
/// of anonymous memory (`benchmarks/routing_7b.py`). Each chunk converts every layer once, so
/// larger chunks (`batch` windows) spend proportionally less time converting. Passes without a
/// backward only: routing (`routingForward`) and scoring (`logits`).
public final class LayerwiseModel: RoutingPass {
    public let config: ModelConfig
    public let adapterSpec: AdapterSpec?
    public let batch: Int
    public let time: Int
    public let threadCount: Int
    public var routingTap: RoutingTap?
    /// The base's tensors, mapped, their shapes checked when the model was made.
    let file: any TensorFile
    /// One layer's base weights in Float32; every layer's views point into the same floats.
    let layerWeights: ParameterSet
    let adapter: ParameterSet
    /// Where each adapter parameter sits in `adapter`.
    let adapterLayout: AdapterLayout
    let projections: [[MoLALinear]]
    /// Per layer, its feed-forward experts (MixLoRA) where they replace its MLP.
    let feedForwardExperts: [FeedForwardExperts?]
    let activations: LayerActivations
    /// The other half of the residual stream: layers alternate between it and `activations.input`.
    let residual: FloatBuffer
    let rotary: RotaryTable
    let scratch = Scratch()

    /// - Throws: `ModelError.missingTensor`, `.tensorShape` when the file does not hold the
    ///   config's base; `MemoryError` when even one layer would not fit.
    public init(config: ModelConfig, adapter spec: AdapterSpec?, file: any TensorFile, batch: Int, time: Int, threadCount: Int = 1) throws {
        try config.validate()
        try spec?.validate(for: config)
        guard batch > 0, time > 0 else { throw ModelError.invalidConfig("batch \(batch) x time \(time) must be positive") }
        try Self.memoryRequirement(config: config, adapter: spec, batch: batch, time: time)
            .require(for: "one layer of the base with buffers for \(batch) sequence\(batch == 1 ? "" : "s") of \(time) tokens")
        self.config = config
        adapterSpec = spec
        self.batch = batch
        self.time = time
        self.threadCount = max(1, threadCount)
        self.file = file
        let shapes = Dictionary(file.descriptions.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        for (name, rows, columns) in BaseWeights.blocks(config) {
            let expected = BaseTensorName.isNorm(name) ? [columns] : [rows, columns]
            guard let shape = shapes[name] else { throw ModelError.missingTensor(file: file.path, tensor: name, expected: expected) }
            guard shape == expected else { throw ModelError.tensorShape(file: file.path, tensor: name, expected: expected, found: shape) }
        }
        let slot = Self.layerBlocks(config, layer: 0)
        // Every later layer's names are views of the slot's blocks, laid out as ParameterSet lays them.
        var offset = 0
        let slotViews = slot.map { block in
            defer { offset += block.rows * block.columns }
            return ParameterSet.View(offset: offset, rows: block.rows, columns: block.columns, rowStride: block.columns)
        }
        let aliases = (1..<max(config.layerCount, 1)).flatMap { layer in
            zip(Self.layerBlocks(config, layer: layer), slotViews).map { ($0.0.name, $0.1) }
        }
        let layerWeights = ParameterSet(blocks: slot, extraViews: aliases)
        adapterLayout = AdapterLayout(config: config, spec: spec)
        let adapter = adapterLayout.parameterSet()
        let tokens = batch * time
        (projections, feedForwardExperts) = adapterLayout.layers(capacity: tokens, base: layerWeights, adapter: adapter)
        self.layerWeights = layerWeights
        self.adapter = adapter
        activations = LayerActivations(config: config, batch: batch, time: time,
                                        shared: SharedActivations(config: config, count: tokens))
        residual = FloatBuffer(count: tokens * config.hiddenSize)
        rotary = RotaryTable(length: time, dimension: config.headDimension, theta: config.ropeTheta)
    }

    /// One layer's base tensors (norms and projections) as `ParameterSet` blocks.
    static func layerBlocks(_ config: ModelConfig, layer: Int) -> [(name: String, rows: Int, columns: Int)] {
        [(BaseTensorName.inputNorm(layer: layer), 1, config.hiddenSize), (BaseTensorName.postAttentionNorm(layer: layer), 1, config.hiddenSize)]
            + ProjectionKind.allCases.map { kind in
                let (input, output) = config.widths(kind)
                return (BaseTensorName.projection(layer: layer, kind), output, input)
            }
    }

    /// What `init` allocates: one layer's weights, the adapter (values only) and one layer's
    /// activations for `batch` windows of `time` tokens.
    ///
    /// ```
    /// weights      2 C + 2 C C + 2 C Ckv + 3 C F           one layer, float32
    /// adapter      sum over projections of E R (Cin + Cout) + E Cin
    /// activations  n (5 C + 2 Ckv + 3 F + 2) + B H T T + each projection's n (E + 2 K + 2 E R), n = B T
    /// ```
    public static func memoryRequirement(config: ModelConfig, adapter spec: AdapterSpec?, batch: Int, time: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate()
        for (_, rows, columns) in layerBlocks(config, layer: 0) { estimate.add(rows, columns) }
        let (n, overflow) = batch.multipliedReportingOverflow(by: time)
        guard !overflow else { estimate.add(Int.max, 2); return estimate }
        let c = config.hiddenSize, f = config.intermediateSize, kv = config.keyValueWidth
        estimate.add(n, 5 * c + 2 * kv + 3 * f + 2)
        estimate.add(batch, config.headCount, time, time)
        if let spec {
            for layer in 0..<min(spec.expertsPerLayer.count, config.layerCount) {
                let experts = spec.expertsPerLayer[layer], rank = spec.ranks[layer], topK = spec.topK[layer]
                for kind in spec.projections {
                    let (input, output) = config.widths(kind)
                    estimate.add(experts, rank, input + output)
                    estimate.add(experts, input)
                    estimate.add(n, experts + 2 * topK + 2 * experts * rank)
                }
                // A block router (MixLoRA) and its decisions (its projections' caches above are an upper bound).
                if spec.feedForwardExperts(layer: layer) != nil {
                    estimate.add(experts, c)
                    estimate.add(n, experts + 2 * topK)
                }
            }
        }
        return estimate
    }

    /// Copies an adapter's experts and routers (validated by `MoLAAdapter`) into this model.
    public func loadAdapter(_ adapter: MoLAAdapter) throws {
        try self.adapter.load(adapter, layout: adapterLayout)
    }

    /// Converts layer `layer`'s base weights from the mapped file into `layerWeights`, each
    /// matrix's rows split between the threads.
    func convertLayer(_ layer: Int) throws {
        for (name, rows, columns) in Self.layerBlocks(config, layer: layer) {
            let record = try file.record(named: name), target = layerWeights.values(name)
            guard rows > 1, threadCount > 1 else { try record.readFloats(into: target); continue }
            let parts = threadCount
            // One slot per thread: no two threads write the same memory.
            let failures = UnsafeMutableBufferPointer<(any Error)?>.allocate(capacity: parts)
            failures.initialize(repeating: nil)
            defer { failures.deallocate() }
            parallel(parts, threads: parts) { part in
                let range = (part * rows / parts)..<((part + 1) * rows / parts)
                do { try record.readFloats(rows: range, into: target + range.lowerBound * columns) } catch { failures[part] = error }
            }
            if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        }
    }
}
