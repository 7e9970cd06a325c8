import Foundation
import MoLACheckpoint

/// The file an adapter is written as.
public enum AdapterFileFormat: String, Sendable {
    /// `adapter_model.safetensors`.
    case safetensors
    /// `adapter_model.bin`, a `torch.save` archive, as the reference code saves by default.
    case bin
}

extension LlamaModel {
    /// Writes the adapter as the reference code lays it out (names, `adapter_config.json` with `r`
    /// per layer) plus this project's sidecar `mola_config.json` (experts per layer, top-K, and
    /// `extraSidecar`). Each file is written to a temporary name and renamed into place.
    public func saveAdapter(to directory: String, format: AdapterFileFormat = .safetensors, baseModel: String,
                            extraSidecar: [String: Any] = [:]) throws {
        guard let spec = adapterSpec else { throw ModelError.invalidAdapter("the model has no adapter to save") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var entries: [SafetensorsWriter.Entry] = []
        for layer in 0..<config.layerCount {
            for kind in spec.projections {
                let projection = projection(layer, kind)
                for expert in 0..<projection.experts {
                    for (view, suffix) in [(AdapterViewName.expert(projection.aName, expert), "lora_A_\(expert)"),
                                          (AdapterViewName.expert(projection.bName, expert), "lora_B_\(expert)")] {
                        entries.append(.init(name: AdapterViewName.reference(layer: layer, kind, suffix: suffix),
                                             shape: adapter.view(view).shape, values: adapter.read(view)))
                    }
                }
                if projection.hasRouter {
                    entries.append(.init(name: AdapterViewName.reference(layer: layer, kind, suffix: "router.router"),
                                         shape: adapter.view(projection.routerName).shape, values: adapter.read(projection.routerName)))
                }
            }
        }
        let directoryURL = URL(fileURLWithPath: directory)
        switch format {
        case .safetensors:
            try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: directoryURL.appendingPathComponent("adapter_model.safetensors").path)
        case .bin:
            try TorchSaveWriter.write(entries, to: directoryURL.appendingPathComponent("adapter_model.bin").path)
        }
        let alphas = Set(spec.alphas)
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": baseModel,
            "r": spec.ranks, "lora_alpha": alphas.count == 1 ? alphas.first! : spec.alphas[0],
            "lora_dropout": spec.dropout, "target_modules": spec.projections.map(\.checkpointName),
            "bias": "none", "inference_mode": true,
        ]
        var sidecar: [String: Any] = ["experts_per_layer": spec.expertsPerLayer, "top_k": spec.topK,
                                      "lora_alpha_per_layer": spec.alphas]
        if let coefficient = spec.balanceCoefficient { sidecar["balance_coefficient"] = coefficient }
        sidecar.merge(extraSidecar) { $1 }
        try writeJSON(config, to: directoryURL.appendingPathComponent(Checkpoint.configFileName).path)
        try writeJSON(sidecar, to: directoryURL.appendingPathComponent(Checkpoint.sidecarFileName).path)
    }

    /// Writes the base as a Hugging Face LLaMA directory: `config.json`, `model.safetensors` and,
    /// with `byteTokenizer`, a `tokenizer_config.json` naming this project's tokenizer.
    public func saveBase(to directory: String, byteTokenizer: Bool) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let directoryURL = URL(fileURLWithPath: directory)
        let entries = base.names.map { name -> SafetensorsWriter.Entry in
            let view = base.view(name)
            return .init(name: name, shape: BaseTensorName.fileShape(name, view), values: base.read(name))
        }
        try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: directoryURL.appendingPathComponent("model.safetensors").path)
        try writeJSON([
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": config.vocabularySize,
            "hidden_size": config.hiddenSize, "intermediate_size": config.intermediateSize,
            "num_hidden_layers": config.layerCount, "num_attention_heads": config.headCount,
            "num_key_value_heads": config.keyValueHeadCount, "rope_theta": config.ropeTheta,
            "rms_norm_eps": config.rmsNormEpsilon, "hidden_act": "silu", "tie_word_embeddings": config.tiedEmbeddings,
            "max_position_embeddings": time, "torch_dtype": "float32",
        ], to: directoryURL.appendingPathComponent("config.json").path)
        if byteTokenizer {
            try writeJSON(["tokenizer_class": ByteTokenizer.className], to: directoryURL.appendingPathComponent("tokenizer_config.json").path)
        }
    }

    private func writeJSON(_ object: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFileWriter.write(data + Data("\n".utf8), to: path)
    }
}
