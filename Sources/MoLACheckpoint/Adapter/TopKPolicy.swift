/// How many experts each token is routed to in every layer, and where that number came from.
///
/// The reference files do not record top-K, so it is resolved in this order: the caller's
/// request, else the sidecar `mola_config.json`, else the config's `top_k` (MoE-PEFT records it),
/// else the reference default 2; the default is capped at each layer's expert count, and a layer
/// with a single expert (plain LoRA) always routes to it alone. A requested or recorded K larger
/// than a layer's experts is an error. A framework whose rule is not top-K fixes K itself: dense
/// softmax and dynamic top-p weigh up to every expert (K = E), Switch routing one (K = 1), and a
/// caller's K is refused there. Every command resolves top-K here.
public enum TopKPolicy {
    /// The reference runs' top-K (MoLA's paper uses 2 throughout).
    public static let referenceDefault = 2

    /// Top-K per layer for an adapter with `expertsPerLayer`.
    ///
    /// - Parameters:
    ///   - requested: the caller's K for every layer, if any.
    ///   - recorded: the sidecar's value, if any (one for every layer, or a list of one per layer).
    /// - Throws: `TopKError.exceedsExperts` for the first layer that has fewer experts than asked,
    ///   `.recordedLayerCount` when the sidecar's list (used without a request) has another length
    ///   than the adapter's layers.
    public static func resolve(requested: Int?, recorded: AdapterConfig.LayerValues?, configured: Int? = nil,
                               rule: RoutingRule = .topK, expertsPerLayer: [Int]) throws -> TopKResolution {
        let resolution: TopKResolution
        if rule != .topK, rule != .single {
            if requested != nil { throw TopKError.fixedByRule(rule) }
            resolution = TopKResolution(perLayer: expertsPerLayer.map { rule == .switchTop1 ? 1 : $0 }, source: .routingRule(rule))
        } else if let requested {
            resolution = TopKResolution(perLayer: expertsPerLayer.map { $0 == 1 ? 1 : requested }, source: .caller)
        } else if let recorded {
            if case let .perLayer(values) = recorded, values.count != expertsPerLayer.count {
                throw TopKError.recordedLayerCount(count: values.count, layers: expertsPerLayer.count)
            }
            resolution = TopKResolution(perLayer: expertsPerLayer.indices.map { recorded.value(ofLayer: $0)! }, source: .sidecar)
        } else if let configured {
            resolution = TopKResolution(perLayer: expertsPerLayer.map { $0 == 1 ? 1 : configured }, source: .adapterConfig)
        } else {
            resolution = TopKResolution(perLayer: expertsPerLayer.map { min(referenceDefault, $0) }, source: .referenceDefault)
        }
        for (layer, (topK, experts)) in zip(resolution.perLayer, expertsPerLayer).enumerated() where topK > experts || topK < 1 {
            throw TopKError.exceedsExperts(layer: layer, topK: topK, experts: experts, source: resolution.source)
        }
        return resolution
    }
}

/// Top-K of every layer and where it came from.
public struct TopKResolution: Sendable, Equatable {
    public let perLayer: [Int]
    public let source: TopKSource

    public init(perLayer: [Int], source: TopKSource) {
        self.perLayer = perLayer
        self.source = source
    }
}

/// Where a top-K value came from.
public enum TopKSource: Sendable, Equatable {
    /// The caller asked for it (a command-line option, say).
    case caller
    /// The sidecar `mola_config.json`.
    case sidecar
    /// The reference default: the files do not record it.
    case referenceDefault
    /// `top_k` in `adapter_config.json` (MoE-PEFT).
    case adapterConfig
    /// Fixed by a routing rule other than top-K (dense softmax: every expert).
    case routingRule(RoutingRule)
    /// The manifest of a routing trace recorded in PyTorch.
    case routingTrace

    /// How reports name the sources the files give; the caller's is for the caller to name.
    public var fileDescription: String? {
        switch self {
        case .caller: nil
        case .sidecar: "mola_config.json"
        case .referenceDefault: "reference default; the files do not record it"
        case .adapterConfig: "adapter_config.json top_k"
        case let .routingRule(rule): "fixed by the routing rule: \(rule.summary)"
        case .routingTrace: "the routing trace's manifest"
        }
    }
}

/// A top-K that the adapter cannot honour.
public enum TopKError: Error, Equatable, CustomStringConvertible {
    case exceedsExperts(layer: Int, topK: Int, experts: Int, source: TopKSource)
    /// The sidecar's per-layer list does not give one value per layer.
    case recordedLayerCount(count: Int, layers: Int)
    /// A K asked of an adapter whose routing rule is not top-K.
    case fixedByRule(RoutingRule)

    public var description: String {
        switch self {
        case let .exceedsExperts(layer, topK, experts, _):
            "top-K \(topK) exceeds the \(experts) experts of layer \(layer)"
        case let .recordedLayerCount(count, layers):
            "mola_config.json records top_k for \(count) layers, but the adapter has \(layers); pass --top-k to choose one"
        case let .fixedByRule(rule):
            "this adapter's routing rule is \(rule.summary): it has no top-K to choose"
        }
    }
}
