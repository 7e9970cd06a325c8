import Foundation
import MoLAFiles

/// The index of a sharded Hugging Face checkpoint: `model.safetensors.index.json` or
/// `pytorch_model.bin.index.json`, which tensor lives in which shard.
///
/// ```json
/// {"metadata": {"total_size": 13476839424},
///  "weight_map": {"model.embed_tokens.weight": "model-00001-of-00003.safetensors", ...}}
/// ```
/// Shards MUST be plain file names in the index's directory (this reader refuses anything
/// with a path separator or `..`); every tensor of every shard MUST be listed, in the shard
/// the index names, and in one shard only. `metadata` MAY be absent.
public struct ShardIndex: Codable, Sendable, Equatable {
    /// The index's `metadata` object; only the total byte size is read.
    public struct Metadata: Codable, Sendable, Equatable {
        public var totalSize: Int?

        public init(totalSize: Int?) { self.totalSize = totalSize }

        enum CodingKeys: String, CodingKey {
            case totalSize = "total_size"
        }
    }

    public var metadata: Metadata?
    /// Tensor name to shard file name.
    public var weightMap: [String: String]

    public init(metadata: Metadata? = nil, weightMap: [String: String]) {
        self.metadata = metadata
        self.weightMap = weightMap
    }

    enum CodingKeys: String, CodingKey {
        case metadata
        case weightMap = "weight_map"
    }

    /// Reads the index at `path`.
    ///
    /// - Throws: `InputFileError`, `JSONDocumentError`.
    public init(path: String) throws {
        self = try JSONDocument.read(Self.self, from: path)
    }

    /// The shard file names, each once, sorted.
    public var shardNames: [String] { Set(weightMap.values).sorted() }
}
