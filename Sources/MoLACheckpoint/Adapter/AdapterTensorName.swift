/// What a tensor name in a MoLA checkpoint refers to.
///
/// Recognised spellings (any prefix before `layers.`; `e` is a decimal expert index):
/// ```
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A_{e}.weight            saved adapter (reference)
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A.default_{e}.weight    trainer checkpoint (un-renamed)
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A.weight                plain LoRA (one expert)
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A.default.weight        plain LoRA, trainer spelling
/// layers.{l}.{self_attn|mlp}.{proj}.router.router.weight         router ([E, d_in]); any
///                                                                `*router*.…weight` spelling
/// ```
/// and the same with `lora_B`. Everything else (base weights, norms, embeddings) is not part
/// of the adapter.
public enum AdapterTensorName: Equatable, Sendable {
    /// Which of an expert's two matrices.
    public enum Matrix: String, Sendable { case a = "A", b = "B" }

    case expert(layer: Int, projection: ProjectionKind, matrix: Matrix, expert: Int)
    case router(layer: Int, projection: ProjectionKind)
    /// A base weight or other tensor that is not part of the adapter.
    case notAdapter
    /// Looks like an adapter tensor (`lora_`) but on no MoLA projection (e.g. `lm_head`).
    case unrecognisedAdapter

    /// Parses a checkpoint tensor name.
    public init(parsing name: String) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let layersIndex = parts.firstIndex(of: "layers"),
              layersIndex + 4 < parts.count,
              let layer = Self.index(parts[layersIndex + 1]),
              let projection = ProjectionKind(checkpointName: parts[layersIndex + 3]),
              parts[layersIndex + 2] == projection.blockName else {
            self = name.contains("lora_") ? .unrecognisedAdapter : .notAdapter
            return
        }
        let rest = Array(parts[(layersIndex + 4)...])
        guard rest.last == "weight" else {
            self = rest.contains(where: { $0.hasPrefix("lora_") }) ? .unrecognisedAdapter : .notAdapter
            return
        }
        let body = Array(rest.dropLast())
        if let (matrix, expert) = Self.expertMatrix(body) {
            self = .expert(layer: layer, projection: projection, matrix: matrix, expert: expert)
        } else if let first = body.first, first.contains("router") {
            self = .router(layer: layer, projection: projection)
        } else if body.contains(where: { $0.hasPrefix("lora_") }) {
            self = .unrecognisedAdapter
        } else {
            self = .notAdapter
        }
    }

    /// `lora_A_3`, `lora_A.default_3`, `lora_A`, `lora_A.default` (the last two: expert 0).
    private static func expertMatrix(_ body: [String]) -> (Matrix, Int)? {
        guard let first = body.first else { return nil }
        for matrix in [Matrix.a, .b] {
            let stem = "lora_\(matrix.rawValue)"
            if body.count == 1 {
                if first == stem { return (matrix, 0) }
                if first.hasPrefix(stem + "_"), let expert = index(String(first.dropFirst(stem.count + 1))) {
                    return (matrix, expert)
                }
            } else if body.count == 2, first == stem {
                if body[1] == "default" { return (matrix, 0) }
                if body[1].hasPrefix("default_"), let expert = index(String(body[1].dropFirst(8))) {
                    return (matrix, expert)
                }
            }
        }
        return nil
    }

    /// A non-negative decimal integer of at most 9 digits (indices, never text-sorted).
    private static func index(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
