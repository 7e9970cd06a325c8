/// A sharded checkpoint whose index and shards disagree.
public enum ShardIndexError: Error, Equatable, CustomStringConvertible {
    /// The index names a shard that is not in its directory.
    case missingShard(index: String, shard: String)
    /// The index names a shard outside its directory (a path, not a file name).
    case shardOutsideDirectory(index: String, shard: String)
    /// The same tensor is stored in two shards.
    case tensorInTwoShards(index: String, tensor: String, first: String, second: String)
    /// A shard holds a tensor the index does not list.
    case tensorNotListed(index: String, tensor: String, shard: String)
    /// The index lists a tensor in a shard that does not hold it.
    case tensorNotInShard(index: String, tensor: String, shard: String)

    public var description: String {
        switch self {
        case let .missingShard(index, shard):
            "the index names shard \(shard), which is not in its directory (\(index))"
        case let .shardOutsideDirectory(index, shard):
            "the index names shard \(shard), which is not a file name in its directory (\(index))"
        case let .tensorInTwoShards(index, tensor, first, second):
            "tensor \(tensor) is stored in two shards, \(first) and \(second) (\(index))"
        case let .tensorNotListed(index, tensor, shard):
            "shard \(shard) holds tensor \(tensor), which the index does not list (\(index))"
        case let .tensorNotInShard(index, tensor, shard):
            "the index lists tensor \(tensor) in shard \(shard), which does not hold it (\(index))"
        }
    }
}
