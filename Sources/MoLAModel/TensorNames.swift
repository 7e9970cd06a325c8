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
/// ```
enum AdapterViewName {
    static func prefix(layer: Int, _ kind: ProjectionKind) -> String { "layers.\(layer).\(kind.checkpointName)" }
    /// Every expert's A, stacked.
    static func a(layer: Int, _ kind: ProjectionKind) -> String { "\(prefix(layer: layer, kind)).lora_A" }
    /// Every expert's B, side by side.
    static func b(layer: Int, _ kind: ProjectionKind) -> String { "\(prefix(layer: layer, kind)).lora_B" }
    static func router(layer: Int, _ kind: ProjectionKind) -> String { "\(prefix(layer: layer, kind)).router" }
    /// One expert's A or B inside the stacked block.
    static func expert(_ block: String, _ expert: Int) -> String { "\(block)_\(expert)" }

    /// The reference code's file name of a view: `suffix` is `lora_A_2`, `lora_B_2` or `router.router`.
    static func reference(layer: Int, _ kind: ProjectionKind, suffix: String) -> String {
        "base_model.model.model.layers.\(layer).\(kind.blockName).\(kind.checkpointName).\(suffix).weight"
    }
}
