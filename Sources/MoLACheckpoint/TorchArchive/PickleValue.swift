/// A value built by the restricted pickle machine: plain data, never a live Python object.
public indirect enum PickleValue: Sendable {
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
public final class PickleList: @unchecked Sendable {
    public var items: [PickleValue] = []
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable dictionary that keeps insertion order, as `dict` and `OrderedDict` do.
public final class PickleDict: @unchecked Sendable {
    public private(set) var keys: [PickleKey] = []
    public private(set) var values: [PickleKey: PickleValue] = [:]

    func set(_ key: PickleKey, _ value: PickleValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    /// Entries in insertion order.
    public var entries: [(key: PickleKey, value: PickleValue)] {
        keys.map { ($0, values[$0]!) }
    }
}

/// The keys a state dict can use.
public enum PickleKey: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    case int(Int)

    public var description: String {
        switch self {
        case let .string(string): string
        case let .int(int): String(int)
        }
    }
}

/// The globals the machine honours. Any other global is an error.
public enum PickleGlobal: Sendable, Equatable {
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

/// The element type of a `torch.*Storage`.
public struct StorageElementType: Sendable, Equatable {
    /// e.g. `FloatStorage`.
    public let storageName: String
    /// Bytes per element.
    public let byteCount: Int

    private static let sizes: [String: Int] = [
        "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "DoubleStorage": 8,
        "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1,
        "BoolStorage": 1,
    ]

    init?(storageName: String) {
        guard let size = Self.sizes[storageName] else { return nil }
        self.storageName = storageName
        self.byteCount = size
    }
}

/// A storage as a persistent id names it: `('storage', torch.FloatStorage, key, location, numel)`.
public struct StorageReference: Sendable, Equatable {
    public let elementType: StorageElementType
    /// The record holding the bytes is `<top folder>/data/<key>`.
    public let key: String
    public let location: String
    public let elementCount: Int
}

/// A tensor as `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` describes it.
public struct TensorReference: Sendable, Equatable {
    public let storage: StorageReference
    public let storageOffset: Int
    public let shape: [Int]
    public let strides: [Int]
}
