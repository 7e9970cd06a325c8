/// Where a router sits in a LLaMA layer: on one projection (MoLA, MoE-PEFT's MoLA and LoRAMoE,
/// LoRAMoE, HydraLoRA), or on the whole feed-forward block, shared by gate, up and down (MoE-PEFT's
/// MixLoRA, `RouterScope.feedForwardBlock`).
///
/// `checkpointName` is the module's name on disk: `q_proj`, ..., `down_proj`, and `mlp` for the
/// block (`mixlora.layers.{l}.mlp.moe_gate.weight`). Sites order as the layer runs them:
/// q, k, v, o, gate, up, down, then the block.
public enum RouterSite: Hashable, Comparable, Sendable, CaseIterable {
    case projection(ProjectionKind)
    case feedForwardBlock

    /// Every site, in order.
    public static let allCases: [RouterSite] = ProjectionKind.allCases.map(RouterSite.projection) + [.feedForwardBlock]

    /// `q_proj`, ..., or `mlp`.
    public var checkpointName: String {
        switch self {
        case let .projection(kind): kind.checkpointName
        case .feedForwardBlock: ProjectionKind.gate.blockName
        }
    }

    /// The site whose checkpoint name is `name`.
    public init?(checkpointName name: String) {
        guard let site = Self.allCases.first(where: { $0.checkpointName == name }) else { return nil }
        self = site
    }

    /// The routers that route projections `kinds`: each projection's own, and the feed-forward
    /// block's when `kinds` holds gate, up or down (it routes all three).
    public static func routing(_ kinds: [ProjectionKind]) -> [RouterSite] {
        kinds.sorted().map(RouterSite.projection) + (kinds.contains { !$0.isAttention } ? [.feedForwardBlock] : [])
    }

    private var order: Int {
        switch self {
        case let .projection(kind): kind.rawValue
        case .feedForwardBlock: ProjectionKind.allCases.count
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.order < rhs.order }
}
