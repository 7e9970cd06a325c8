import MoLATensor
/// A value built by the restricted pickle machine: plain data, never a live Python object.
package indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// One of the allow-listed globals, not yet applied.
    case global(PickleGlobal)
    /// A storage named by a persistent id.
    case storage(StorageReference)
    /// What `_rebuild_tensor_v2` or `_rebuild_parameter` would have made.
    case tensor(TensorReference)

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

/// A mutable list (pickle appends to lists that the memo may also hold).
package final class PickleList: @unchecked Sendable {
    package var items: [PickleValue] = []
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable dictionary that keeps insertion order, as `dict` and `OrderedDict` do.
package final class PickleDict: @unchecked Sendable {
    package private(set) var keys: [PickleKey] = []
    package private(set) var values: [PickleKey: PickleValue] = [:]

    func set(_ key: PickleKey, _ value: PickleValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
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
