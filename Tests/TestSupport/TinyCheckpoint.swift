import MoLATensor
/// Writes a small random checkpoint directory (`adapter_model.safetensors` and
/// `adapter_config.json`, alpha 16, rank 2) with q_proj (6 -> 6) and up_proj (6 -> 10) experts.
///
/// - Parameters:
///   - experts: experts per layer.
///   - poisoned: puts an infinity in layer 0's q_proj `lora_B_0`.
/// - Returns: the directory's path.
public func writeTinyCheckpoint(in scratch: ScratchDirectory, name: String, experts: [Int], poisoned: Bool = false,
                                seed: UInt64 = 3) throws -> String {
    var generator = SplitMix(seed: seed)
    var tensors: [(name: String, shape: [Int], values: [Float])] = []
    for (layer, count) in experts.enumerated() {
        for (projection, outputWidth) in [("self_attn.q_proj", 6), ("mlp.up_proj", 10)] {
            let prefix = "base_model.model.model.layers.\(layer).\(projection)"
            for expert in 0..<count {
                tensors.append(("\(prefix).lora_A_\(expert).weight", [2, 6], (0..<12).map { _ in Float(generator.normal()) }))
                tensors.append(("\(prefix).lora_B_\(expert).weight", [outputWidth, 2],
                                (0..<(outputWidth * 2)).map { _ in Float(generator.normal() * 0.1) }))
            }
            tensors.append(("\(prefix).router.router.weight", [count, 6], Array(repeating: 0.5, count: count * 6)))
        }
    }
    if poisoned { tensors[1].values[0] = .infinity }
    try scratch.write(safetensorsBytes(tensors: tensors), to: "\(name)/adapter_model.safetensors")
    let ranks = experts.map { _ in "2" }.joined(separator: ", ")
    try scratch.write(Array(#"{"peft_type": "LORA", "r": [\#(ranks)], "lora_alpha": 16, "base_model_name_or_path": "tiny"}"#.utf8),
                      to: "\(name)/adapter_config.json")
    return scratch.path(name)
}
