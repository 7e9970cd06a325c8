import Foundation

/// A checkpoint split over shards (safetensors or `torch.save` files) with a `ShardIndex`, read
/// as one `TensorFile`: every shard mapped, none of their data read.
///
/// Opening checks that the index and the shards agree (`ShardIndexError`): every shard named
/// exists in the index's directory, every tensor of every shard is listed in the shard the
/// index names, and no tensor is stored twice.
public final class ShardedTensorFile: TensorFile {
    /// The index's path.
    public let path: String
    public let formatName: String
    public let descriptions: [TensorDescription]
    /// The shards, in the order of their names.
    public let shards: [any TensorFile]
    /// Position in `shards` by tensor name.
    let shardOfTensor: [String: Int]

    /// Opens the index at `path` and every shard it names.
    ///
    /// - Throws: `ShardIndexError`, `JSONDocumentError`, and the shards' readers' errors.
    public init(indexPath path: String) throws {
        self.path = path
        let index = try ShardIndex(path: path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var shards: [any TensorFile] = []
        var shardOfTensor: [String: Int] = [:]
        var descriptions: [TensorDescription] = []
        var storedIn: [String: String] = [:]
        for name in index.shardNames {
            guard !name.isEmpty, !name.contains("/"), !name.contains("\\"), name != ".", name != ".." else {
                throw ShardIndexError.shardOutsideDirectory(index: path, shard: name)
            }
            let shardPath = directory.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw ShardIndexError.missingShard(index: path, shard: name)
            }
            let shard = try openTensorFile(path: shardPath)
            for description in shard.descriptions {
                if let earlier = storedIn[description.name] {
                    throw ShardIndexError.tensorInTwoShards(index: path, tensor: description.name, first: earlier, second: name)
                }
                storedIn[description.name] = name
                shardOfTensor[description.name] = shards.count
                descriptions.append(description)
            }
            shards.append(shard)
        }
        // Every tensor stored once; now the index must say where each is, and nothing more.
        for description in descriptions {
            guard let listed = index.weightMap[description.name] else {
                throw ShardIndexError.tensorNotListed(index: path, tensor: description.name, shard: storedIn[description.name] ?? "")
            }
            guard listed == storedIn[description.name] else {
                throw ShardIndexError.tensorNotInShard(index: path, tensor: description.name, shard: listed)
            }
        }
        for (tensor, shard) in index.weightMap.sorted(by: { $0.key < $1.key }) where storedIn[tensor] == nil {
            throw ShardIndexError.tensorNotInShard(index: path, tensor: tensor, shard: shard)
        }
        formatName = "sharded \(shards.first?.formatName ?? "index")"
        self.shards = shards
        self.shardOfTensor = shardOfTensor
        self.descriptions = descriptions
    }

    public func record(named name: String) throws -> TensorRecord {
        guard let shard = shardOfTensor[name] else { throw TensorFileError.noSuchTensor(file: path, tensor: name) }
        return try shards[shard].record(named: name)
    }
}
