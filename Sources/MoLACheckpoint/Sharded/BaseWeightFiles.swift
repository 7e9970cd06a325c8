import Foundation

/// Where a Hugging Face model directory keeps its weights, as the Hub publishes them: one
/// `model.safetensors`, safetensors shards with `model.safetensors.index.json`, one
/// `pytorch_model.bin`, or `torch.save` shards with `pytorch_model.bin.index.json`.
public enum BaseWeightFiles {
    /// The names looked for, in order of preference (safetensors first, a single file before an index).
    public static let fileNames = ["model.safetensors", "model.safetensors.index.json",
                                   "pytorch_model.bin", "pytorch_model.bin.index.json"]

    /// The first of `fileNames` present in `directory`, or nil.
    public static func locate(in directory: String) -> String? {
        let url = URL(fileURLWithPath: directory)
        return fileNames.lazy.map { url.appendingPathComponent($0).path }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Opens the weights of the model directory `directory` (a `torch.save` file through the
    /// restricted unpickler: nothing in it is executed).
    ///
    /// - Throws: `BaseWeightFilesError.noWeights`, `ShardIndexError`, and the readers' errors.
    public static func open(directory: String) throws -> any TensorFile {
        guard let path = locate(in: directory) else {
            throw BaseWeightFilesError.noWeights(directory: directory, lookedFor: fileNames)
        }
        return path.hasSuffix(".index.json") ? try ShardedTensorFile(indexPath: path) : try openTensorFile(path: path)
    }
}

/// A model directory without weights in a form `BaseWeightFiles` reads.
public enum BaseWeightFilesError: Error, Equatable, CustomStringConvertible {
    case noWeights(directory: String, lookedFor: [String])

    public var description: String {
        switch self {
        case let .noWeights(directory, names):
            "no base weights in the directory; looked for \(names.joined(separator: ", ")) (\(directory))"
        }
    }
}
