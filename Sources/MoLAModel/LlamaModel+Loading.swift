import Foundation
import MoLACheckpoint

extension AdapterSpec {
    /// The spec of an adapter read from a checkpoint (experts, ranks, scales from its files;
    /// top-K as given, capped at each layer's expert count by the caller's choice).
    ///
    /// The model runs the per-projection mixtures of MoLA, PEFT LoRA, MoE-PEFT MoLA and LoRAMoE,
    /// LoRAMoE and HydraLoRA, and MoE-PEFT MixLoRA's feed-forward experts (`FeedForwardExperts`):
    /// top-K routing, and dense softmax as top-K with K = E (renormalising over every expert
    /// divides by 1). MixLoRA's top-p (`mixlora-dynamic`) and Switch (`mixlora-switch`) strategies,
    /// and an activation in its experts other than the base's SiLU, are refused by name.
    ///
    /// - Throws: `ModelError.unsupportedForward` for those, `.invalidAdapter` for a layout the
    ///   model cannot hold (projections or ranks or scales that differ within a layer).
    public init(checkpoint adapter: MoLAAdapter, topK: [Int]) throws {
        guard [.topK, .denseSoftmax, .single].contains(adapter.routingRule) else {
            throw ModelError.unsupportedForward(framework: adapter.framework.displayName,
                                                reason: "its routing rule is \(adapter.routingRule.summary), which this model does not implement")
        }
        // MoE-PEFT fills a missing act_fn with the base's hidden_act, which a LLaMA base has as SiLU.
        if let activation = adapter.feedForwardActivation, !["silu", "swish"].contains(activation) {
            throw ModelError.unsupportedForward(framework: adapter.framework.displayName,
                                                reason: "its feed-forward experts' activation is act_fn \"\(activation)\", and this model's feed-forward blocks compute SiLU")
        }
        let kinds = Set(adapter.projections.map(\.kind))
        for layer in adapter.layers where Set(layer.projections.map(\.kind)) != kinds {
            throw ModelError.invalidAdapter("layer \(layer.index) adapts \(layer.projections.map(\.kind.checkpointName)), other layers \(kinds.sorted().map(\.checkpointName))")
        }
        var ranks: [Int] = []
        var alphas: [Double] = []
        for layer in adapter.layers {
            guard let rank = layer.rank else { throw ModelError.invalidAdapter("the projections of layer \(layer.index) have different ranks") }
            let scales = Set(layer.projections.map(\.scale))
            guard scales.count == 1, let scale = scales.first else {
                throw ModelError.invalidAdapter("the projections of layer \(layer.index) have different scales (alpha_pattern?): the model takes one per layer")
            }
            ranks.append(rank)
            alphas.append(scale * Double(rank))
        }
        self.init(projections: kinds.sorted(), expertsPerLayer: adapter.allocation.expertsPerLayer)
        self.ranks = ranks
        self.alphas = alphas
        self.topK = topK
        routerScope = adapter.framework.routerScope
        // MoE-PEFT's LoRAMoE and MixLoRA: plain LoRA on attention beside the MLP's mixtures, in every layer alike.
        plainProjections = Set(kinds.filter { kind in
            adapter.layers.allSatisfy { $0.projection(kind)?.expertCount == 1 && $0.expertCount > 1 }
        })
        for layer in adapter.layers {
            for projection in layer.projections where projection.expertCount == 1 && layer.expertCount > 1
                && !plainProjections.contains(projection.kind) {
                throw ModelError.invalidAdapter("\(projection.label) has one expert but not in every layer: the model takes plain projections alike in every layer")
            }
        }
    }
}

extension LlamaModel {
    /// Copies a Hugging Face base's weights into this model, from the file or the shards of
    /// `directory` (`BaseWeightFiles`: safetensors or `torch.save`, one file or sharded with an
    /// index; F32, F16 or BF16).
    ///
    /// - Throws: `ModelError.missingTensor` or `.tensorShape` naming the tensor, and the
    ///   readers' errors (`BaseWeightFilesError`, `ShardIndexError`, ...).
    public func loadBase(directory: String) throws {
        try loadBase(file: BaseWeightFiles.open(directory: directory))
    }

    /// Copies a base's weights from `file` (any `TensorFile` with the Hugging Face names).
    ///
    /// - Throws: `ModelError.missingTensor` or `.tensorShape` naming the tensor.
    public func loadBase(file: any TensorFile) throws {
        quantizedBase = nil
        let available = Dictionary(file.descriptions.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        for name in base.names {
            let view = base.view(name)
            let expected = BaseTensorName.fileShape(name, view)
            guard let shape = available[name] else { throw ModelError.missingTensor(file: file.path, tensor: name, expected: expected) }
            guard shape == expected else {
                throw ModelError.tensorShape(file: file.path, tensor: name, expected: expected, found: shape)
            }
            base.write(name, try file.record(named: name).doubles().map { Float($0) })
        }
    }

    /// Opens a base, a Hugging Face LLaMA directory or a GGUF file (`BaseModelSource`),
    /// optionally with a MoLA adapter: what every command's `--base` takes.
    ///
    /// - Parameters:
    ///   - topK: top-K per layer for the adapter (see `TopKPolicy`; default: the checkpoint's).
    /// - Throws: `ModelError` for a base that is not LLaMA or an adapter that does not fit it,
    ///   and the readers' errors.
    public static func load(base path: String, adapter checkpoint: Checkpoint?, topK: [Int]? = nil,
                            balanceCoefficient: Double? = nil, batch: Int, time: Int, threadCount: Int = 1) throws -> LlamaModel {
        switch try BaseModelSource(path: path) {
        case let .huggingFace(directory):
            return try load(baseDirectory: directory, adapter: checkpoint, topK: topK, balanceCoefficient: balanceCoefficient,
                            batch: batch, time: time, threadCount: threadCount)
        case let .gguf(filePath):
            let file = try GGUFFile(path: filePath)
            let model = try make(config: ModelConfig(gguf: file), adapter: checkpoint, topK: topK,
                                 balanceCoefficient: balanceCoefficient, batch: batch, time: time, threadCount: threadCount)
            try model.loadBase(gguf: file)
            if let checkpoint { try model.loadAdapter(checkpoint.adapter) }
            return model
        }
    }

    /// Opens a Hugging Face LLaMA directory (`config.json` and the weights `BaseWeightFiles` finds), optionally with a
    /// MoLA adapter (a checkpoint written by the reference code or by this project).
    ///
    /// - Parameters:
    ///   - topK: top-K per layer for the adapter (see `TopKPolicy`; default: the checkpoint's).
    /// - Throws: `ModelError` for a base that is not LLaMA or an adapter that does not fit it,
    ///   and the readers' errors.
    public static func load(baseDirectory: String, adapter checkpoint: Checkpoint?, topK: [Int]? = nil,
                            balanceCoefficient: Double? = nil, batch: Int, time: Int, threadCount: Int = 1) throws -> LlamaModel {
        let directory = URL(fileURLWithPath: baseDirectory)
        let configPath = directory.appendingPathComponent("config.json").path
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ModelError.invalidConfig("no config.json: \(baseDirectory) is not a Hugging Face model directory")
        }
        let config = try ModelConfig(huggingFaceConfig: configPath)
        // Before anything is allocated: every weight in Float32 must fit.
        try config.weightMemory.require(for: "the weights it describes", source: configPath)
        let model = try make(config: config, adapter: checkpoint, topK: topK,
                             balanceCoefficient: balanceCoefficient, batch: batch, time: time, threadCount: threadCount)
        try model.loadBase(directory: baseDirectory)
        if let checkpoint { try model.loadAdapter(checkpoint.adapter) }
        return model
    }

    /// A model of `config` with room for the adapter of `checkpoint`, checked to fit the base.
    private static func make(config: ModelConfig, adapter checkpoint: Checkpoint?, topK: [Int]?, balanceCoefficient: Double?,
                             batch: Int, time: Int, threadCount: Int) throws -> LlamaModel {
        let spec = try AdapterSpec.checked(config: config, adapter: checkpoint, topK: topK, balanceCoefficient: balanceCoefficient)
        return try LlamaModel(config: config, adapter: spec, batch: batch, time: time, threadCount: threadCount)
    }

    /// Copies an adapter's experts and routers (validated by `MoLAAdapter`) into this model.
    public func loadAdapter(_ adapter: MoLAAdapter) throws {
        try self.adapter.load(adapter, layout: adapterLayout)
    }
}

extension AdapterSpec {
    /// The spec of `checkpoint`'s adapter on a base of `config`, checked to fit it (nil without one).
    ///
    /// - Throws: `ModelError.adapterMismatch`, `.invalidAdapter`.
    static func checked(config: ModelConfig, adapter checkpoint: Checkpoint?, topK: [Int]?,
                        balanceCoefficient: Double?) throws -> AdapterSpec? {
        var spec: AdapterSpec?
        if let checkpoint {
            let adapter = checkpoint.adapter
            guard adapter.layers.count == config.layerCount else {
                throw ModelError.adapterMismatch("the adapter has \(adapter.layers.count) layers, the base \(config.layerCount)")
            }
            for projection in adapter.projections {
                let (input, output) = config.widths(projection.kind)
                guard projection.inputWidth == input, projection.outputWidth == output else {
                    throw ModelError.adapterMismatch("\(projection.label) maps \(projection.inputWidth) -> \(projection.outputWidth), the base's \(input) -> \(output)")
                }
            }
            spec = try AdapterSpec(checkpoint: adapter, topK: topK ?? checkpoint.topK(requested: nil).perLayer)
            spec?.balanceCoefficient = balanceCoefficient
        }
        return spec
    }
}

extension ParameterSet {
    /// Copies an adapter's experts and routers into this adapter set, laid out by `layout`.
    ///
    /// - Throws: `ModelError.adapterMismatch` when the adapter's routers sit elsewhere than the
    ///   layout's (a MixLoRA adapter on a model made for MoLA's, or the reverse) or a projection's
    ///   experts or rank differ; the readers' errors.
    func load(_ adapter: MoLAAdapter, layout: AdapterLayout) throws {
        guard adapter.framework.routerScope == layout.routerScope else {
            throw ModelError.adapterMismatch("the adapter (\(adapter.framework.displayName)) has \(adapter.framework.routerScope.summary), the model \(layout.routerScope.summary)")
        }
        var written: Set<String> = []
        for source in adapter.projections {
            let target = layout.projections[source.layer][source.kind.rawValue]
            guard target.experts == source.expertCount, target.rank == source.rank else {
                throw ModelError.adapterMismatch("\(source.label) has \(source.expertCount) experts of rank \(source.rank), the model \(target.experts) of rank \(target.rank)")
            }
            for (expert, names) in source.experts.enumerated() {
                write(AdapterViewName.expert(target.aName, expert), try adapter.file.record(named: names.a).doubles().map { Float($0) })
                write(AdapterViewName.expert(target.bName, expert), try adapter.file.record(named: names.b).doubles().map { Float($0) })
            }
            // A feed-forward block's router is named by each of gate, up and down: read once.
            let routerView = target.hasRouter ? target.routerName
                : target.inFeedForwardExperts ? layout.feedForwardExperts[source.layer]?.routerName : nil
            if let router = source.router, let routerView, written.insert(routerView).inserted {
                write(routerView, try adapter.file.record(named: router).doubles().map { Float($0) })
            }
        }
    }
}
