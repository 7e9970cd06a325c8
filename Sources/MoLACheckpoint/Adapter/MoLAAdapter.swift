/// The structure of a MoLA adapter: per layer, per adapted projection, its experts and router.
///
/// Built from tensor names and shapes only (`MoLAAdapter.init(file:config:)`); values stay in
/// the file until an analysis reads them through `file`.
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

    /// Experts per layer (every projection of a layer has the same number).
    public var allocation: Allocation { Allocation(expertsPerLayer: layers.map(\.expertCount)) }

    /// Every adapted projection, layer by layer.
    public var projections: [ProjectionAdapter] { layers.flatMap(\.projections) }

    /// A, B and router elements.
    public var parameterCount: Int { projections.reduce(0) { $0 + $1.parameterCount } }

    /// A, B and router tensors.
    public var tensorCount: Int { projections.reduce(0) { $0 + $1.tensorCount } }
}

/// One transformer layer of an adapter.
public struct AdapterLayer: Sendable {
    public let index: Int
    /// Adapted projections in the order q, k, v, o, gate, up, down.
    public let projections: [ProjectionAdapter]

    /// The number of experts of this layer's projections.
    public var expertCount: Int { projections.first?.expertCount ?? 0 }

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
    /// Tensor names of each expert's A and B, expert 0 first.
    public let experts: [(a: String, b: String)]
    /// The router tensor name; nil for plain LoRA (one expert, no router).
    public let router: String?
    public let rank: Int
    /// `d_in`.
    public let inputWidth: Int
    /// `d_out`.
    public let outputWidth: Int
    /// `alpha / rank`.
    public let scale: Double

    public var expertCount: Int { experts.count }

    /// Elements of all A, B and the router.
    public var parameterCount: Int {
        expertCount * rank * (inputWidth + outputWidth) + (router == nil ? 0 : expertCount * inputWidth)
    }

    public var tensorCount: Int { 2 * expertCount + (router == nil ? 0 : 1) }

    /// E.g. `layer 3 q_proj`.
    public var label: String { "layer \(layer) \(kind.checkpointName)" }
}
