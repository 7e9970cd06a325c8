import MoLAFiles

/// One process rank's manifest of a routing trace, `rank-NNNNN.json`, written by
/// `python/mola_trace.py` beside its shard `rank-NNNNN.safetensors`.
///
/// ```json
/// {"format": "mola-routing-trace", "version": 1, "model": "llama-2-7b mola-2468",
///  "rank": 0, "world_size": 2, "projections": ["q_proj", ...],
///  "experts_per_layer": [2, 4, 6, 8], "top_k": [2, 2, 2, 2], "full_softmax": true,
///  "tokens": 4096, "counted_tokens": 3870, "shard": "rank-00000.safetensors"}
/// ```
/// Every rank's manifest MUST agree on everything but `rank`, the token counts and `shard`;
/// `shard` MUST be a file name in the manifest's directory. The shard holds, N = `tokens`:
///
/// 1. `mask`, U8 [N]: 1 for a real token, 0 for padding; its sum is `counted_tokens`.
/// 2. per layer l and projection p: `layers.{l}.{p}.indices`, I32 [N, K_l], the chosen experts
///    (most probable first, each below E_l); `layers.{l}.{p}.probabilities`, F32 [N, K_l], their
///    softmax probabilities; with `full_softmax`, `layers.{l}.{p}.softmax`, F32 [N, E_l].
public struct RoutingTraceManifest: Codable, Sendable, Equatable {
    /// The `format` every manifest carries.
    public static let formatName = "mola-routing-trace"
    /// The version this reader reads.
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// What the recording job called its model (free text).
    public var model: String
    public var rank: Int
    public var worldSize: Int
    /// Checkpoint names of the routed projections (`q_proj`, ...), in the order of `ProjectionKind`.
    public var projections: [String]
    public var expertsPerLayer: [Int]
    public var topK: [Int]
    public var fullSoftmax: Bool
    /// Token rows in the shard, padding included.
    public var tokens: Int
    /// Rows whose mask is 1.
    public var countedTokens: Int
    /// The shard's file name.
    public var shard: String

    enum CodingKeys: String, CodingKey {
        case format, version, model, rank
        case worldSize = "world_size"
        case projections
        case expertsPerLayer = "experts_per_layer"
        case topK = "top_k"
        case fullSoftmax = "full_softmax"
        case tokens
        case countedTokens = "counted_tokens"
        case shard
    }

    /// The manifest's file name for `rank`.
    public static func fileName(rank: Int) -> String { "rank-\(String(rank).leftPadded(to: 5)).json" }

    /// The tensor name of `field` (`indices`, `probabilities`, `softmax`) of projection `projection` of `layer`.
    public static func tensorName(layer: Int, projection: String, field: String) -> String { "layers.\(layer).\(projection).\(field)" }

    /// The padding mask's tensor name.
    public static let maskName = "mask"
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
