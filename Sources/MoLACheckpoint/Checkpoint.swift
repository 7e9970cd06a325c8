import Foundation

/// An adapter checkpoint (MoLA's or another framework's) as a user points at it: an adapter directory or a tensor file, with the
/// `adapter_config.json` and the project's sidecar beside it.
public struct Checkpoint: Sendable {
    /// Tensor files looked for in a directory, in order of preference.
    public static let tensorFileNames = ["adapter_model.safetensors", "adapter_model.bin",
                                         "pytorch_model.bin", "model.safetensors"]
    /// The PEFT config's file name.
    public static let configFileName = "adapter_config.json"
    /// The sidecar this project's trainer writes beside an adapter (expert counts, top-K).
    public static let sidecarFileName = "mola_config.json"

    /// The path as given.
    public let path: String
    public let adapter: MoLAAdapter
    public let config: AdapterConfig?
    /// Path of the config, when one was found.
    public let configPath: String?
    public let sidecar: MoLASidecar?
    public let sidecarPath: String?

    /// Opens a checkpoint directory or file.
    ///
    /// - Throws: `CheckpointError`, and the errors of the readers and of `MoLAAdapter.init`.
    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.notFound(path: path)
        }
        let directory: URL
        let tensorPath: String
        if isDirectory.boolValue {
            directory = URL(fileURLWithPath: path)
            guard let found = Self.tensorFileNames.first(where: {
                FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
            }) else {
                throw CheckpointError.noTensorFile(directory: path, lookedFor: Self.tensorFileNames)
            }
            tensorPath = directory.appendingPathComponent(found).path
        } else {
            tensorPath = path
            directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        }
        let configFile = try Self.loadIfPresent(directory.appendingPathComponent(Self.configFileName), AdapterConfig.init(path:))
        (config, configPath) = (configFile?.value, configFile?.path)
        let sidecarFile = try Self.loadIfPresent(directory.appendingPathComponent(Self.sidecarFileName), MoLASidecar.init(path:))
        (sidecar, sidecarPath) = (sidecarFile?.value, sidecarFile?.path)
        let file = try openTensorFile(path: tensorPath)
        adapter = try MoLAAdapter(file: file, config: config)
        if let counts = sidecar?.expertsPerLayer, counts != adapter.allocation.expertsPerLayer {
            throw CheckpointError.sidecarDisagrees(file: sidecarPath ?? path, sidecar: counts,
                                                   tensors: adapter.allocation.expertsPerLayer)
        }
    }

    /// The file at `url` read by `load`, with its path, or nil when there is no such file.
    private static func loadIfPresent<Value>(_ url: URL, _ load: (String) throws -> Value) throws -> (value: Value, path: String)? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return (try load(url.path), url.path)
    }

    /// Where alpha came from: the config, or the reference default.
    public var alphaSource: String {
        config?.alpha != nil ? Self.configFileName : "reference default; no lora_alpha in a config"
    }

    /// Top-K per layer and where it came from (`TopKPolicy`), with `requested` the caller's K.
    ///
    /// - Throws: `TopKError` when a layer has fewer experts than asked.
    public func topK(requested: Int?) throws -> TopKResolution {
        try TopKPolicy.resolve(requested: requested, recorded: sidecar?.topK, configured: config?.topK, rule: adapter.routingRule,
                               expertsPerLayer: adapter.allocation.expertsPerLayer)
    }
}

/// A path that is not a usable checkpoint.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case notFound(path: String)
    case noTensorFile(directory: String, lookedFor: [String])
    case sidecarDisagrees(file: String, sidecar: [Int], tensors: [Int])

    public var description: String {
        switch self {
        case let .notFound(path):
            "no such file or directory (\(path))"
        case let .noTensorFile(directory, names):
            "no adapter file in the directory; looked for \(names.joined(separator: ", ")) (\(directory))"
        case let .sidecarDisagrees(file, sidecar, tensors):
            "the sidecar lists experts per layer \(sidecar) but the tensors have \(tensors) (\(file))"
        }
    }
}
