import MoLACheckpoint

/// The Hugging Face names of a LLaMA base's tensors, declared once: on disk
/// `model.layers.3.input_layernorm.weight`, in Swift `BaseWeights.layers[3].inputNorm`.
///
/// ```
/// model.embed_tokens.weight                          [V, C]
/// model.layers.{l}.input_layernorm.weight            [C]
/// model.layers.{l}.self_attn.{q,k,v,o}_proj.weight   [Cout, Cin]
/// model.layers.{l}.post_attention_layernorm.weight   [C]
/// model.layers.{l}.mlp.{gate,up,down}_proj.weight    [Cout, Cin]
/// model.norm.weight                                  [C]
/// lm_head.weight                                     [V, C], absent when tied to the embedding
/// ```
enum BaseTensorName {
    static let embedding = "model.embed_tokens.weight"
    static let finalNorm = "model.norm.weight"
    static let head = "lm_head.weight"

    static func inputNorm(layer: Int) -> String { "model.layers.\(layer).input_layernorm.weight" }
    static func postAttentionNorm(layer: Int) -> String { "model.layers.\(layer).post_attention_layernorm.weight" }
    static func projection(layer: Int, _ kind: ProjectionKind) -> String {
        "model.layers.\(layer).\(kind.blockName).\(kind.checkpointName).weight"
    }

    /// Whether `name` is a norm's weight: a vector `[C]` on disk (a `[1, C]` view here), 1 at initialisation.
    static func isNorm(_ name: String) -> Bool { name.hasSuffix("norm.weight") }

    /// The shape `name` has on disk, given its view here.
    static func fileShape(_ name: String, _ view: ParameterSet.View) -> [Int] { isNorm(name) ? [view.columns] : view.shape }
}

/// llama.cpp's names of the same tensors in a GGUF file (`convert_hf_to_gguf.py`'s tensor map),
/// declared once. Sizes are stored innermost first, so `[C, V]` there is `[V, C]` here.
///
/// ```
/// GGUF                         Hugging Face
/// token_embd.weight            model.embed_tokens.weight
/// blk.{l}.attn_norm.weight     model.layers.{l}.input_layernorm.weight
/// blk.{l}.attn_{q,k,v}.weight  model.layers.{l}.self_attn.{q,k,v}_proj.weight  (q, k rows permuted)
/// blk.{l}.attn_output.weight   model.layers.{l}.self_attn.o_proj.weight
/// blk.{l}.ffn_norm.weight      model.layers.{l}.post_attention_layernorm.weight
/// blk.{l}.ffn_{gate,up,down}.weight  model.layers.{l}.mlp.{gate,up,down}_proj.weight
/// output_norm.weight           model.norm.weight
/// output.weight                lm_head.weight (absent when tied)
/// ```
enum GGUFBaseTensorName {
    static let embedding = "token_embd.weight"
    static let finalNorm = "output_norm.weight"
    static let head = "output.weight"

    static func inputNorm(layer: Int) -> String { "blk.\(layer).attn_norm.weight" }
    static func postAttentionNorm(layer: Int) -> String { "blk.\(layer).ffn_norm.weight" }
    static func projection(layer: Int, _ kind: ProjectionKind) -> String {
        let name = switch kind {
        case .query: "attn_q"
        case .key: "attn_k"
        case .value: "attn_v"
        case .output: "attn_output"
        case .gate: "ffn_gate"
        case .up: "ffn_up"
        case .down: "ffn_down"
        }
        return "blk.\(layer).\(name).weight"
    }

    /// Every base tensor's GGUF name by its Hugging Face name, for `config`.
    static func map(_ config: ModelConfig) -> [String: String] {
        var names = [BaseTensorName.embedding: embedding, BaseTensorName.finalNorm: finalNorm, BaseTensorName.head: head]
        for layer in 0..<config.layerCount {
            names[BaseTensorName.inputNorm(layer: layer)] = inputNorm(layer: layer)
            names[BaseTensorName.postAttentionNorm(layer: layer)] = postAttentionNorm(layer: layer)
            for kind in ProjectionKind.allCases {
                names[BaseTensorName.projection(layer: layer, kind)] = projection(layer: layer, kind)
            }
        }
        return names
    }
}

/// The names of the adapter set's views, declared once, and the reference code's names for
/// them on disk.
///
/// ```
/// here                          on disk (the reference's saved adapter)
/// layers.{l}.{proj}.lora_A      (stacked over experts, [E R, Cin]; no file name)
/// layers.{l}.{proj}.lora_A_{e}  base_model.model.model.layers.{l}.{block}.{proj}.lora_A_{e}.weight
/// layers.{l}.{proj}.lora_B      (side by side, [Cout, E R]; no file name)
/// layers.{l}.{proj}.lora_B_{e}  base_model.model.model.layers.{l}.{block}.{proj}.lora_B_{e}.weight
/// layers.{l}.{proj}.router      base_model.model.model.layers.{l}.{block}.{proj}.router.router.weight
/// layers.{l}.mlp.router         (MixLoRA's feed-forward block router, [E, C]; read from MoE-PEFT's
///                               mixlora.layers.{l}.mlp.moe_gate.weight, never written)
/// ```
enum AdapterViewName {
    static func prefix(layer: Int, _ kind: ProjectionKind) -> String { "layers.\(layer).\(kind.checkpointName)" }
    /// Every expert's A, stacked.
    static func a(layer: Int, _ kind: ProjectionKind) -> String { "\(prefix(layer: layer, kind)).lora_A" }
    /// Every expert's B, side by side.
    static func b(layer: Int, _ kind: ProjectionKind) -> String { "\(prefix(layer: layer, kind)).lora_B" }
    static func router(layer: Int, _ kind: ProjectionKind) -> String { "\(prefix(layer: layer, kind)).router" }
    /// The router of a layer's feed-forward experts (MixLoRA).
    static func feedForwardRouter(layer: Int) -> String { "layers.\(layer).\(RouterSite.feedForwardBlock.checkpointName).router" }
    /// One expert's A or B inside the stacked block.
    static func expert(_ block: String, _ expert: Int) -> String { "\(block)_\(expert)" }

    /// The reference code's file name of a view: `suffix` is `lora_A_2`, `lora_B_2` or `router.router`.
    static func reference(layer: Int, _ kind: ProjectionKind, suffix: String) -> String {
        "base_model.model.model.layers.\(layer).\(kind.blockName).\(kind.checkpointName).\(suffix).weight"
    }
}
