/// The framework whose save code wrote an adapter, and what its layout means.
///
/// Every framework here adds, to a frozen projection `y = W0 x`, a weighted sum of LoRA experts
/// `dW_i x = s B_i A_i x` (`s = alpha / r`, or `alpha / sqrt(r)` with rsLoRA); they differ in
/// how the weights `w_i` come from a router and in what the experts share:
/// ```
/// top-K           p = softmax(W_r x); w_i = p_i / sum_{j in top-K} p_j on the K largest, else 0
/// dense softmax   w = softmax(W_r x) over all experts (no top-K, no renormalisation)
/// single          one expert, w = 1 (plain LoRA)
/// ```
/// MoE-PEFT's MixLoRA applies its top-K to whole feed-forward experts (each expert is the MLP with
/// its own LoRA on gate, up and down) from one router per block; HydraLoRA's heads share one `A`.
public enum AdapterFramework: String, Sendable, CaseIterable, Codable {
    /// MoLA's reference code (GCYZSL/MoLA) and this project's trainer: `lora_A_{e}`, `router.router`.
    case molaReference = "mola"
    /// Hugging Face PEFT's LoRA: one expert per projection, `lora_A.weight` / `lora_A.default.weight`.
    case peftLoRA = "peft-lora"
    /// MoE-PEFT (TUDB-Labs) `peft_type` MOLA: top-K experts on every targeted projection.
    case moePeftMoLA = "moe-peft-mola"
    /// MoE-PEFT `peft_type` LORAMOE: dense softmax experts on the MLP, plain LoRA on attention.
    case moePeftLoRAMoE = "moe-peft-loramoe"
    /// MoE-PEFT `peft_type` MIXLORA: feed-forward experts, one router per block, plain LoRA on attention.
    case moePeftMixLoRA = "moe-peft-mixlora"
    /// LoRAMoE (Ablustrund/LoRAMoE, a patched PEFT): `lora_A{i}` / `lora_B{i}`, `lora_route`, dense softmax.
    case loraMoE = "loramoe"
    /// HydraLoRA (Clin0212/HydraLoRA): one shared `lora_A`, `lora_B{i}` per head, `lora_route`, dense softmax.
    case hydraLoRA = "hydralora"

    /// The name `info` shows.
    public var displayName: String {
        switch self {
        case .molaReference: "MoLA (reference layout, GCYZSL/MoLA)"
        case .peftLoRA: "PEFT LoRA"
        case .moePeftMoLA: "MoE-PEFT MoLA"
        case .moePeftLoRAMoE: "MoE-PEFT LoRAMoE"
        case .moePeftMixLoRA: "MoE-PEFT MixLoRA"
        case .loraMoE: "LoRAMoE (Ablustrund/LoRAMoE)"
        case .hydraLoRA: "HydraLoRA (Clin0212/HydraLoRA)"
        }
    }

    /// The `peft_type` of MoE-PEFT's configs, for the three mixtures it saves.
    public var moePeftType: String? {
        switch self {
        case .moePeftMoLA: "MOLA"
        case .moePeftLoRAMoE: "LORAMOE"
        case .moePeftMixLoRA: "MIXLORA"
        default: nil
        }
    }

    /// The module path MoE-PEFT saves this mixture's layers under (`mola.layers.{l}...`).
    public var moePeftNamespace: String? { moePeftType?.lowercased() }

    /// The routing rule its forward applies, before the config is read (MixLoRA's strategies refine it).
    public var defaultRoutingRule: RoutingRule {
        switch self {
        case .molaReference, .moePeftMoLA, .moePeftMixLoRA: .topK
        case .peftLoRA: .single
        case .moePeftLoRAMoE, .loraMoE, .hydraLoRA: .denseSoftmax
        }
    }

    /// Where its routers sit.
    public var routerScope: RouterScope {
        self == .moePeftMixLoRA ? .feedForwardBlock : .projection
    }

    /// Whether all experts of a projection share one `A` (HydraLoRA).
    public var expertsShareA: Bool { self == .hydraLoRA }

    /// Whether a layer may mix projections of one expert with mixtures (MoE-PEFT's plain LoRA on attention).
    public var allowsPlainProjectionsBesideMixtures: Bool {
        self == .moePeftLoRAMoE || self == .moePeftMixLoRA
    }
}

/// How a router's probabilities become expert weights.
public enum RoutingRule: String, Sendable, Codable {
    /// The K most probable experts, their probabilities renormalised to sum to 1.
    case topK = "top-k"
    /// Every expert, weighted by its softmax probability.
    case denseSoftmax = "dense-softmax"
    /// MoE-PEFT's `mixlora-dynamic`: the smallest set whose probabilities reach `top_p`.
    case topP = "top-p"
    /// MoE-PEFT's `mixlora-switch`: Switch Transformers' top-1 with an expert capacity.
    case switchTop1 = "switch-top-1"
    /// One expert, no router.
    case single

    /// A sentence for `info`.
    public var summary: String {
        switch self {
        case .topK: "top-K of softmax(W_r x), renormalised over the chosen experts"
        case .denseSoftmax: "dense softmax over all experts (no top-K, no renormalisation)"
        case .topP: "dynamic top-p of softmax(W_r x) (mixlora-dynamic)"
        case .switchTop1: "Switch top-1 with expert capacity (mixlora-switch)"
        case .single: "none: one expert (plain LoRA)"
        }
    }
}

/// Where a framework's routers sit.
public enum RouterScope: String, Sendable, Codable {
    /// One router per adapted projection, `[E, d_in]`.
    case projection = "per-projection"
    /// One router per feed-forward block, `[E, d_model]`, shared by gate, up and down (MixLoRA).
    case feedForwardBlock = "per-feed-forward-block"

    public var summary: String {
        switch self {
        case .projection: "one router per adapted projection"
        case .feedForwardBlock: "one router per feed-forward block, shared by gate_proj, up_proj and down_proj"
        }
    }
}
