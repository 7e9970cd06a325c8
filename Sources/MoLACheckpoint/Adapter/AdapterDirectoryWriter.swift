import Foundation
import MoLAFiles

/// The file an adapter is written as.
public enum AdapterFileFormat: String, Sendable {
    /// `adapter_model.safetensors`.
    case safetensors
    /// `adapter_model.bin`, a `torch.save` archive, as the reference code saves by default.
    case bin

    /// The tensor file's name in the directory.
    public var fileName: String {
        switch self {
        case .safetensors: "adapter_model.safetensors"
        case .bin: "adapter_model.bin"
        }
    }
}

/// Writes an adapter directory as the reference code lays it out: the tensors
/// (`base_model.model.model.layers.{l}.{block}.{proj}.lora_A_{e}.weight`, ...), `adapter_config.json`
/// and this project's sidecar `mola_config.json`. Each file goes to a temporary name and is
/// renamed into place.
public enum AdapterDirectoryWriter {
    /// The reference name of a tensor of layer `layer`'s `kind`: `suffix` is `lora_A_3`,
    /// `lora_B_3` or `router.router`.
    public static func referenceName(layer: Int, _ kind: ProjectionKind, suffix: String) -> String {
        "base_model.model.model.layers.\(layer).\(kind.blockName).\(kind.checkpointName).\(suffix).weight"
    }

    public static func write(_ entries: [SafetensorsWriter.Entry], format: AdapterFileFormat, config: AdapterConfig,
                             sidecar: MoLASidecar, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let directoryURL = URL(fileURLWithPath: directory)
        let tensorPath = directoryURL.appendingPathComponent(format.fileName).path
        switch format {
        case .safetensors: try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: tensorPath)
        case .bin: try TorchSaveWriter.write(entries, to: tensorPath)
        }
        try JSONDocument.write(config, to: directoryURL.appendingPathComponent(Checkpoint.configFileName).path)
        try JSONDocument.write(sidecar, to: directoryURL.appendingPathComponent(Checkpoint.sidecarFileName).path)
    }
}
