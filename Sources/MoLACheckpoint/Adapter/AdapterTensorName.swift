/// What a tensor name in an adapter checkpoint refers to, and how its framework spells it.
///
/// Recognised spellings (any prefix before `layers.`; `e` is a decimal expert index):
/// ```
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A_{e}.weight            MoLA reference (saved adapter)
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A.default_{e}.weight    MoLA reference (trainer checkpoint)
/// layers.{l}.{self_attn|mlp}.{proj}.router.router.weight         MoLA router [E, d_in]; any `*router*.…weight`
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A.weight                plain LoRA (PEFT, one expert; HydraLoRA's shared A)
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A.default.weight        plain LoRA, PEFT's adapter-name spelling
/// layers.{l}.{self_attn|mlp}.{proj}.experts.{e}.lora_A.weight    MoE-PEFT expert
/// layers.{l}.{self_attn|mlp}.{proj}.moe_gate.weight              MoE-PEFT router (MoLA, LoRAMoE) [E, d_in]
/// layers.{l}.mlp.moe_gate.weight                                 MoE-PEFT MixLoRA: one router per feed-forward block
/// layers.{l}.{self_attn|mlp}.{proj}.lora_A{e}.weight             LoRAMoE expert (no separator)
/// layers.{l}.{self_attn|mlp}.{proj}.lora_route.weight            LoRAMoE and HydraLoRA router [E, d_in]
/// ```
/// and the same with `lora_B` (HydraLoRA: `lora_B{e}` beside one `lora_A`). Everything else (base
/// weights, norms, embeddings) is not part of the adapter.
public enum AdapterTensorName: Equatable, Sendable {
    /// Which of an expert's two matrices.
    public enum Matrix: String, Sendable { case a = "A", b = "B" }

    /// How a framework spells an adapter tensor: the evidence `AdapterFramework` is detected from.
    public enum Spelling: String, Sendable, Comparable, CaseIterable {
        /// `lora_A_{e}`, `lora_A.default_{e}`, `router.router`: MoLA's reference code and this project.
        case reference
        /// `lora_A`, `lora_A.default`: one expert (PEFT LoRA), or HydraLoRA's shared A.
        case plain
        /// `experts.{e}.lora_A`, `moe_gate`: MoE-PEFT.
        case moePeft
        /// `lora_A{e}`, `lora_B{e}`, `lora_route`: LoRAMoE and HydraLoRA.
        case numbered

        /// An example of the spelling, for messages.
        public var example: String {
            switch self {
            case .reference: "lora_A_{e}"
            case .plain: "lora_A"
            case .moePeft: "experts.{e}.lora_A"
            case .numbered: "lora_A{e} / lora_B{e} / lora_route"
            }
        }

        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    case expert(layer: Int, projection: ProjectionKind, matrix: Matrix, expert: Int, spelling: Spelling)
    case router(layer: Int, projection: ProjectionKind, spelling: Spelling)
    /// MoE-PEFT MixLoRA's router of a whole feed-forward block, shared by gate, up and down.
    case blockRouter(layer: Int)
    /// A base weight or other tensor that is not part of the adapter.
    case notAdapter
    /// Looks like an adapter tensor (`lora_`) but on no MoLA projection (e.g. `lm_head`).
    case unrecognisedAdapter

    /// The block router's module name on disk.
    public static let blockRouterName = "moe_gate"

    /// Parses a checkpoint tensor name.
    public init(parsing name: String) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let layersIndex = parts.firstIndex(of: "layers"), layersIndex + 4 < parts.count,
              let layer = Self.index(parts[layersIndex + 1]) else {
            self = name.contains("lora_") ? .unrecognisedAdapter : .notAdapter
            return
        }
        if parts.count == layersIndex + 5, parts[layersIndex + 2] == "mlp", parts[layersIndex + 3] == Self.blockRouterName,
           parts[layersIndex + 4] == "weight" {
            self = .blockRouter(layer: layer)
            return
        }
        guard let projection = ProjectionKind(checkpointName: parts[layersIndex + 3]),
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
        if let (matrix, expert, spelling) = Self.expertMatrix(body) {
            self = .expert(layer: layer, projection: projection, matrix: matrix, expert: expert, spelling: spelling)
        } else if let spelling = Self.routerSpelling(body) {
            self = .router(layer: layer, projection: projection, spelling: spelling)
        } else if body.contains(where: { $0.hasPrefix("lora_") }) {
            self = .unrecognisedAdapter
        } else {
            self = .notAdapter
        }
    }

    /// The module path before `layers.` (`base_model.model.model`, or MoE-PEFT's `mola`, `loramoe`, `mixlora`).
    public static func namespace(of name: String) -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard let index = parts.firstIndex(of: "layers") else { return "" }
        return parts[..<index].joined(separator: ".")
    }

    /// `moe_gate`, `lora_route`, or any `*router*` module.
    private static func routerSpelling(_ body: [String]) -> Spelling? {
        guard let first = body.first else { return nil }
        if body == [blockRouterName] { return .moePeft }
        if body == ["lora_route"] { return .numbered }
        return first.contains("router") ? .reference : nil
    }

    /// `lora_A_3`, `lora_A.default_3`, `lora_A`, `lora_A.default` (expert 0), `experts.3.lora_A`, `lora_A3`.
    private static func expertMatrix(_ body: [String]) -> (Matrix, Int, Spelling)? {
        guard let first = body.first else { return nil }
        for matrix in [Matrix.a, .b] {
            let stem = "lora_\(matrix.rawValue)"
            switch body.count {
            case 1:
                if first == stem { return (matrix, 0, .plain) }
                if first.hasPrefix(stem + "_"), let expert = index(String(first.dropFirst(stem.count + 1))) {
                    return (matrix, expert, .reference)
                }
                if first.hasPrefix(stem), let expert = index(String(first.dropFirst(stem.count))) {
                    return (matrix, expert, .numbered)
                }
            case 2 where first == stem:
                if body[1] == "default" { return (matrix, 0, .plain) }
                if body[1].hasPrefix("default_"), let expert = index(String(body[1].dropFirst(8))) {
                    return (matrix, expert, .reference)
                }
            case 3 where first == "experts" && body[2] == stem:
                if let expert = index(body[1]) { return (matrix, expert, .moePeft) }
            default:
                break
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
