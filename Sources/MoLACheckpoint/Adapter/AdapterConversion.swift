import Foundation

/// An adapter rewritten in another framework's layout, where the two compute the same thing.
///
/// ```
/// --to mola   MoLA's reference layout (GCYZSL/MoLA): adapter_model.bin (torch.save) with
///             base_model.model.model.layers.{l}.{block}.{proj}.lora_{A,B}_{e}.weight and
///             ...{proj}.router.router.weight; adapter_config.json with peft_type LORA, r per layer,
///             one lora_alpha; mola_config.json with the experts per layer and top-K.
///             From MoLA's reference layout or MoE-PEFT's MoLA: top-K routing, top_k 2, at least
///             2 experts a projection, one alpha (scale * r) for every projection.
/// --to peft   PEFT LoRA: adapter_model.safetensors with ...{proj}.lora_{A,B}.weight;
///             adapter_config.json with r and lora_alpha, rank_pattern and alpha_pattern (escaped
///             module paths) where a projection differs. From any per-projection adapter with one
///             expert a projection (its router, if any, gives weight 1).
/// ```
/// Every value is copied exactly (to float32, which holds F32, F16 and BF16 values).
public struct AdapterConversion {
    /// The layouts written.
    public enum Layout: String, CaseIterable, Sendable {
        case mola, peft
    }

    /// The tensors to write, in order.
    public let tensors: [SafetensorsWriter.Entry]
    /// The tensor file's name: `adapter_model.bin` (mola) or `adapter_model.safetensors` (peft).
    public let tensorFileName: String
    public let config: AdapterConfig
    /// MoLA's sidecar (experts per layer, top-K), for `mola`.
    public let sidecar: MoLASidecar?

    /// The prefix every written name starts with.
    static let prefix = "base_model.model.model.layers"

    /// Plans the conversion of `checkpoint` into `layout`, reading every adapter value.
    ///
    /// - Throws: `AdapterConversionError` naming why the layouts would compute differently, and
    ///   the readers' errors.
    public init(_ checkpoint: Checkpoint, to layout: Layout) throws {
        let adapter = checkpoint.adapter
        if adapter.framework.routerScope == .feedForwardBlock {
            throw AdapterConversionError.feedForwardExperts(framework: adapter.framework.displayName)
        }
        switch layout {
        case .mola: try self.init(toMoLA: checkpoint)
        case .peft: try self.init(toPEFT: checkpoint)
        }
    }

    private init(toMoLA checkpoint: Checkpoint) throws {
        let adapter = checkpoint.adapter
        if let small = adapter.projections.first(where: { $0.expertCount < 2 }) {
            throw AdapterConversionError.tooFewExperts(projection: small.label, experts: small.expertCount)
        }
        guard adapter.routingRule == .topK else {
            throw AdapterConversionError.routingRuleDiffers(framework: adapter.framework.displayName, rule: adapter.routingRule.summary,
                                                            target: "MoLA's reference code (top-2, renormalised)")
        }
        let topK = try checkpoint.topK(requested: nil)
        if let layer = topK.perLayer.firstIndex(where: { $0 != TopKPolicy.referenceDefault }) {
            throw AdapterConversionError.topKDiffers(layer: layer, topK: topK.perLayer[layer], source: topK.source.fileDescription ?? "asked")
        }
        let alpha = try Self.sharedAlpha(adapter.projections)
        var tensors: [SafetensorsWriter.Entry] = []
        for projection in adapter.projections {
            let module = Self.module(projection)
            for (expert, names) in projection.experts.enumerated() {
                tensors.append(try Self.entry("\(module).lora_A_\(expert).weight", from: names.a, in: adapter.file))
                tensors.append(try Self.entry("\(module).lora_B_\(expert).weight", from: names.b, in: adapter.file))
            }
            tensors.append(try Self.entry("\(module).router.router.weight", from: projection.router!, in: adapter.file))
        }
        self.tensors = tensors
        tensorFileName = "adapter_model.bin"
        config = AdapterConfig(peftType: "LORA", taskType: checkpoint.config?.taskType ?? "CAUSAL_LM",
                               baseModel: checkpoint.config?.baseModel, ranks: .perLayer(adapter.layers.map { $0.rank ?? $0.projections[0].rank }),
                               alpha: alpha, dropout: checkpoint.config?.dropout, targetModules: Self.targetModules(adapter),
                               bias: "none", inferenceMode: true)
        sidecar = MoLASidecar(expertsPerLayer: adapter.allocation.expertsPerLayer, topK: .perLayer(topK.perLayer))
    }

    private init(toPEFT checkpoint: Checkpoint) throws {
        let adapter = checkpoint.adapter
        if let mixture = adapter.projections.first(where: { $0.expertCount > 1 }) {
            throw AdapterConversionError.severalExperts(projection: mixture.label, experts: mixture.expertCount)
        }
        var tensors: [SafetensorsWriter.Entry] = []
        for projection in adapter.projections {
            let module = Self.module(projection)
            tensors.append(try Self.entry("\(module).lora_A.weight", from: projection.experts[0].a, in: adapter.file))
            tensors.append(try Self.entry("\(module).lora_B.weight", from: projection.experts[0].b, in: adapter.file))
        }
        // One r and lora_alpha (the first projection's), patterns for the others: alpha = scale * r.
        let first = adapter.projections[0]
        let alpha = first.scale * Double(first.rank)
        var ranks: [String: Int] = [:], alphas: [String: Double] = [:]
        for projection in adapter.projections {
            let key = NSRegularExpression.escapedPattern(for: "model.layers.\(projection.layer).\(projection.kind.blockName).\(projection.kind.checkpointName)")
            if projection.rank != first.rank { ranks[key] = projection.rank }
            let projectionAlpha = projection.scale * Double(projection.rank)
            if abs(projectionAlpha - alpha) > 1e-12 * alpha { alphas[key] = projectionAlpha }
        }
        self.tensors = tensors
        tensorFileName = "adapter_model.safetensors"
        var config = AdapterConfig(peftType: "LORA", taskType: checkpoint.config?.taskType ?? "CAUSAL_LM",
                                   baseModel: checkpoint.config?.baseModel, ranks: .uniform(first.rank), alpha: alpha,
                                   dropout: checkpoint.config?.dropout, targetModules: Self.targetModules(adapter), bias: "none",
                                   inferenceMode: true)
        config.rankPattern = ranks
        config.alphaPattern = alphas
        config.useRSLoRA = false
        config.useDoRA = false
        self.config = config
        sidecar = nil
    }

    /// `base_model.model.model.layers.{l}.{block}.{proj}`.
    static func module(_ projection: ProjectionAdapter) -> String {
        "\(prefix).\(projection.layer).\(projection.kind.blockName).\(projection.kind.checkpointName)"
    }

    static func targetModules(_ adapter: MoLAAdapter) -> [String] {
        Set(adapter.projections.map(\.kind)).sorted().map(\.checkpointName)
    }

    /// The one `lora_alpha` with `scale = alpha / r` for every projection.
    static func sharedAlpha(_ projections: [ProjectionAdapter]) throws -> Double {
        let first = projections[0]
        let alpha = first.scale * Double(first.rank)
        for projection in projections {
            let other = projection.scale * Double(projection.rank)
            if abs(other - alpha) > 1e-12 * alpha {
                throw AdapterConversionError.scalesDiffer(first: first.label, firstAlpha: alpha, second: projection.label, secondAlpha: other)
            }
        }
        return alpha
    }

    /// The values of `source` as a float32 entry named `name`.
    static func entry(_ name: String, from source: String, in file: any TensorFile) throws -> SafetensorsWriter.Entry {
        let record = try file.record(named: source)
        return SafetensorsWriter.Entry(name: name, shape: record.shape, values: try record.doubles().map { Float($0) })
    }
}
