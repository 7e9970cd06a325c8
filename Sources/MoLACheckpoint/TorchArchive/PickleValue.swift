import MoLATensor
/// A value built by the restricted pickle machine: plain data, never a live Python object.
///
/// Containers nest at most `PickleMachine.maximumDepth` deep and never hold themselves (see
/// `PickleMachine`), so freeing a value recurses a bounded number of levels and no reference
/// cycle can leak.
package indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// One of the allow-listed globals, not yet applied.
    case global(PickleGlobal)
    /// A storage named by a persistent id.
    case storage(StorageReference)
    /// What `_rebuild_tensor_v2` or `_rebuild_parameter` would have made.
    case tensor(TensorReference)

    /// Containers within containers: 0 for a scalar, 1 for a container of scalars.
    var depth: Int {
        switch self {
        case let .tuple(tuple): tuple.depth
        case let .list(list): list.depth
        case let .dict(dict): dict.depth
        default: 0
        }
    }

    /// A short name of the kind of value, for error messages.
    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case let .global(global): global.qualifiedName
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// An immutable tuple, with its nesting depth computed once.
package struct PickleTuple: Sendable {
    package let items: [PickleValue]
    let depth: Int

    init(_ items: [PickleValue]) {
        self.items = items
        depth = 1 + (items.map(\.depth).max() ?? 0)
    }
}

/// A mutable list (pickle appends to lists that the memo may also hold).
///
/// Once placed inside another container it is complete (`isNested`): the machine refuses to
/// append to it, which keeps `depth` exact and makes cycles impossible.
package final class PickleList: @unchecked Sendable {
    package private(set) var items: [PickleValue] = []
    private(set) var depth = 1
    var isNested = false

    init(_ items: [PickleValue] = []) { append(contentsOf: items) }

    func append(contentsOf newItems: [PickleValue]) {
        items.append(contentsOf: newItems)
        depth = max(depth, 1 + (newItems.map(\.depth).max() ?? 0))
    }
}

/// A mutable dictionary that keeps insertion order, as `dict` and `OrderedDict` do.
///
/// Complete once nested, as `PickleList` is.
package final class PickleDict: @unchecked Sendable {
    package private(set) var keys: [PickleKey] = []
    package private(set) var values: [PickleKey: PickleValue] = [:]
    private(set) var depth = 1
    var isNested = false

    func set(_ key: PickleKey, _ value: PickleValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
        depth = max(depth, 1 + value.depth)
    }

    /// Entries in insertion order.
    package var entries: [(key: PickleKey, value: PickleValue)] {
        keys.map { ($0, values[$0]!) }
    }
}

/// The keys a state dict can use.
package enum PickleKey: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case int(Int)

    package var description: String {
        switch self {
        case let .string(string): string
        case let .int(int): String(int)
        }
    }
}

/// The globals the machine honours. Any other global is an error.
package enum PickleGlobal: Sendable, Equatable {
    case orderedDict
    case rebuildTensor
    case rebuildParameter
    /// `torch.<Name>Storage`, with the element type it stores.
    case storageType(StorageElementType)

    /// Resolves `module.name` against the allow-list.
    static func allowed(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): .rebuildParameter
        case ("torch", _): StorageElementType(storageName: name).map { .storageType($0) }
        default: nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensor: "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case let .storageType(type): "torch.\(type.storageName)"
        }
    }
}

/// The element type of a `torch.*Storage` (its entry in `ElementType`'s table).
package struct StorageElementType: Sendable, Equatable {
    /// e.g. `FloatStorage`.
    package let storageName: String
    package let elementType: ElementType
    /// Bytes per element.
    package var byteCount: Int { elementType.byteCount }

    init?(storageName: String) {
        guard let type = ElementType.torchStorage(storageName) else { return nil }
        self.storageName = storageName
        elementType = type
    }
}

/// A storage as a persistent id names it: `('storage', torch.FloatStorage, key, location, numel)`.
package struct StorageReference: Sendable, Equatable {
    package let elementType: StorageElementType
    /// The record holding the bytes is `<top folder>/data/<key>`.
    package let key: String
    package let location: String
    package let elementCount: Int
}

/// A tensor as `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` describes it.
package struct TensorReference: Sendable, Equatable {
    package let storage: StorageReference
    package let storageOffset: Int
    package let shape: [Int]
    package let strides: [Int]
}
