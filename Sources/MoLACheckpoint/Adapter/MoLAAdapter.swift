/// The structure of a mixture-of-LoRA adapter: per layer, per adapted projection, its experts and
/// router, whichever framework saved it (`framework`).
///
/// Built from tensor names and shapes only (`MoLAAdapter.init(file:config:)`); values stay in
/// the file until an analysis reads them through `file`. Experts that share a matrix (HydraLoRA's
/// one `A`) name the same tensor, and projections that share a router (MixLoRA's per block) name
/// the same router, so every analysis reads them as it reads any other.
public struct MoLAAdapter: Sendable {
    /// The tensor file the adapter was read from.
    public let file: any TensorFile
    /// Layers in order; every layer from 0 to the deepest one is present.
    public let layers: [AdapterLayer]
    /// `lora_alpha`, from the config or the reference default.
    public let alpha: Double
    /// Tensors of the file that are not part of the adapter (base weights, norms, ...).
    public let ignoredTensorCount: Int
    /// Names of tensors that look like adapter tensors (`lora_`) on no MoLA projection.
    public let unrecognisedAdapterTensors: [String]
    /// The framework whose layout the tensors follow (checked against the config).
    public let framework: AdapterFramework
    /// How the routers weigh the experts.
    public let routingRule: RoutingRule
    /// What the framework was told by: the tensor spellings seen and the config's fields.
    public let frameworkSource: String
    /// Where the routing rule came from: the config's `routing_strategy`, or the framework's forward.
    public let routingRuleSource: String
    /// MixLoRA's `act_fn`, the activation inside its feed-forward experts; nil when the config
    /// gives none, where MoE-PEFT's `init_adapter` takes the base's `hidden_act`.
    public let feedForwardActivation: String?

    /// Experts per layer (every projection of a layer has the same number).
    public var allocation: Allocation { Allocation(expertsPerLayer: layers.map(\.expertCount)) }

    /// Every adapted projection, layer by layer.
    public var projections: [ProjectionAdapter] { layers.flatMap(\.projections) }

    /// A, B and router elements, each shared tensor counted once.
    public var parameterCount: Int {
        let names = Set(projections.flatMap(\.tensorNames))
        return file.descriptions.reduce(0) { $0 + (names.contains($1.name) ? $1.elementCount : 0) }
    }

    /// A, B and router tensors, each shared one counted once.
    public var tensorCount: Int { Set(projections.flatMap(\.tensorNames)).count }
}

/// One transformer layer of an adapter.
public struct AdapterLayer: Sendable {
    public let index: Int
    /// Adapted projections in the order q, k, v, o, gate, up, down.
    public let projections: [ProjectionAdapter]

    /// The number of experts of this layer's mixtures (the largest of its projections': MoE-PEFT's
    /// LoRAMoE and MixLoRA put plain LoRA on attention beside the mixtures of the MLP).
    public var expertCount: Int { projections.map(\.expertCount).max() ?? 0 }

    /// The rank of this layer's experts, when all projections agree.
    public var rank: Int? {
        let ranks = Set(projections.map(\.rank))
        return ranks.count == 1 ? ranks.first : nil
    }

    public func projection(_ kind: ProjectionKind) -> ProjectionAdapter? {
        projections.first { $0.kind == kind }
    }
}

/// The experts and router of one projection of one layer.
///
/// ```
/// A_i is [rank, inputWidth]     B_i is [outputWidth, rank]     router is [expertCount, inputWidth]
/// dW_i = scale * B_i A_i        scale = alpha / rank
/// ```
public struct ProjectionAdapter: Sendable {
    public let layer: Int
    public let kind: ProjectionKind
    /// Tensor names of each expert's A and B, expert 0 first (HydraLoRA: every A the same tensor).
    public let experts: [(a: String, b: String)]
    /// The router tensor name; nil for plain LoRA (one expert, no router). MixLoRA's block
    /// router is named by each of gate, up and down.
    public let router: String?
    public let rank: Int
    /// `d_in`.
    public let inputWidth: Int
    /// `d_out`.
    public let outputWidth: Int
    /// `alpha / rank`.
    public let scale: Double

    /// The width of the router's rows: `d_in`, except that MixLoRA's block router reads the block's
    /// input, so down_proj's is `d_model`, not its own input width.
    public let routerWidth: Int

    public var expertCount: Int { experts.count }

    /// Whether every expert's A is one tensor (HydraLoRA).
    public var sharesA: Bool { expertCount > 1 && Set(experts.map(\.a)).count == 1 }

    /// Every tensor the projection reads, each once.
    public var tensorNames: [String] {
        var names: [String] = []
        for name in experts.flatMap({ [$0.a, $0.b] }) + (router.map { [$0] } ?? []) where !names.contains(name) {
            names.append(name)
        }
        return names
    }

    /// Elements of its A, B and router (a shared A and a shared router counted once here).
    public var parameterCount: Int {
        Set(experts.map(\.a)).count * rank * inputWidth + expertCount * rank * outputWidth
            + (router == nil ? 0 : expertCount * routerWidth)
    }

    public var tensorCount: Int { tensorNames.count }

    /// E.g. `layer 3 q_proj`.
    public var label: String { "layer \(layer) \(kind.checkpointName)" }
}
