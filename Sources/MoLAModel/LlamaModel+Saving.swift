import Foundation
import MoLACheckpoint
import MoLAFiles
import MoLATensor

extension LlamaModel {
    /// Writes the adapter as the reference code lays it out (names, `adapter_config.json` with `r`
    /// per layer) plus this project's sidecar `mola_config.json` (experts per layer, top-K, alpha
    /// per layer, the balance coefficient and `training`). Each file is written to a temporary
    /// name and renamed into place.
    public func saveAdapter(to directory: String, format: AdapterFileFormat = .safetensors, baseModel: String,
                            training: MoLASidecar.Training? = nil) throws {
        guard let spec = adapterSpec else { throw ModelError.invalidAdapter("the model has no adapter to save") }
        guard spec.routerScope == .projection else {
            throw ModelError.invalidAdapter("the reference layout has a router per projection, which no feed-forward experts' block router (MixLoRA) becomes")
        }
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
        let alphas = Set(spec.alphas)
        let config = AdapterConfig(peftType: "LORA", taskType: "CAUSAL_LM", baseModel: baseModel, ranks: .perLayer(spec.ranks),
                                   alpha: alphas.count == 1 ? alphas.first! : spec.alphas[0], dropout: spec.dropout,
                                   targetModules: spec.projections.map(\.checkpointName), bias: "none", inferenceMode: true)
        let sidecar = MoLASidecar(expertsPerLayer: spec.expertsPerLayer, topK: .perLayer(spec.topK), alphaPerLayer: spec.alphas,
                                  balanceCoefficient: spec.balanceCoefficient, training: training)
        try AdapterDirectoryWriter.write(entries, format: format, config: config, sidecar: sidecar, to: directory)
    }

    /// Writes the base as a Hugging Face LLaMA directory: `config.json` and `model.safetensors`
    /// (the tokenizer's files are the caller's to write), the weights as `dtype`.
    ///
    /// - Parameter contextLength: `max_position_embeddings`, by default the model's length.
    public func saveBase(to directory: String, dtype: DType = .float32, contextLength: Int? = nil) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let directoryURL = URL(fileURLWithPath: directory)
        let entries = base.names.map { name -> SafetensorsWriter.Entry in
            let view = base.view(name)
            return .init(name: name, shape: BaseTensorName.fileShape(name, view), values: base.read(name))
        }
        try SafetensorsWriter.write(entries, metadata: ["format": "pt"], dtype: dtype,
                                    to: directoryURL.appendingPathComponent("model.safetensors").path)
        let torchNames: [DType: String] = [.float32: "float32", .float16: "float16", .bfloat16: "bfloat16"]
        try JSONDocument.write(HuggingFaceConfig(config, maxPositionEmbeddings: contextLength ?? time, dtype: torchNames[dtype]!),
                               to: directoryURL.appendingPathComponent("config.json").path)
    }
}
