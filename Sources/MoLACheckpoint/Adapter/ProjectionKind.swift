/// The seven linear projections of a LLaMA block that MoLA can adapt.
///
/// Swift names say what the projection is; `checkpointName` is the name on disk.
public enum ProjectionKind: Int, CaseIterable, Sendable, Comparable, Codable {
    case query, key, value, output, gate, up, down

    /// The module name in checkpoints, e.g. `q_proj`.
    public var checkpointName: String {
        switch self {
        case .query: "q_proj"
        case .key: "k_proj"
        case .value: "v_proj"
        case .output: "o_proj"
        case .gate: "gate_proj"
        case .up: "up_proj"
        case .down: "down_proj"
        }
    }

    /// The parent module in checkpoints: `self_attn` or `mlp`.
    public var blockName: String { isAttention ? "self_attn" : "mlp" }

    /// Whether the projection belongs to self-attention (the paper's Figure 3 set).
    public var isAttention: Bool { self.rawValue <= ProjectionKind.output.rawValue }

    /// The projection whose checkpoint name is `name` (`q_proj`, ...).
    public init?(checkpointName name: String) {
        guard let kind = Self.allCases.first(where: { $0.checkpointName == name }) else { return nil }
        self = kind
    }

    /// q, k, v, o.
    public static let attention: [ProjectionKind] = [.query, .key, .value, .output]
    /// gate, up, down.
    public static let mlp: [ProjectionKind] = [.gate, .up, .down]

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
