/// The value types of GGUF metadata (`enum gguf_type` in `gguf.h`), with their sizes in the file.
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes of one value, or for strings and arrays the least a value can take (its length
    /// prefix; an array's element type and count), which bounds how many can fit in a file.
    var minimumByteCount: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 4 + 8
        }
    }
}

/// One metadata value.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), array(GGUFArray)
    case uint64(UInt64), int64(Int64), float64(Double)

    /// The type's name as `gguf.h` spells it (`u32`, `str`, `arr[str]`), for errors.
    public var typeName: String {
        switch self {
        case .uint8: "u8"
        case .int8: "i8"
        case .uint16: "u16"
        case .int16: "i16"
        case .uint32: "u32"
        case .int32: "i32"
        case .float32: "f32"
        case .bool: "bool"
        case .string: "str"
        case let .array(array): array.typeName
        case .uint64: "u64"
        case .int64: "i64"
        case .float64: "f64"
        }
    }

    /// The value as an `Int` when it is an integer of any width that fits.
    public var integerValue: Int? {
        switch self {
        case let .uint8(value): Int(value)
        case let .int8(value): Int(value)
        case let .uint16(value): Int(value)
        case let .int16(value): Int(value)
        case let .uint32(value): Int(value)
        case let .int32(value): Int(value)
        case let .uint64(value): Int(exactly: value)
        case let .int64(value): Int(value)
        default: nil
        }
    }
}

/// A metadata array: elements of one type, stored unboxed (a file's arrays of 49152 tokens or
/// a million bytes take the memory of their elements, not of as many enum values).
public indirect enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case float32([Float]), bool([Bool]), string([String]), array([GGUFArray])
    case uint64([UInt64]), int64([Int64]), float64([Double])

    /// Number of elements.
    public var count: Int {
        switch self {
        case let .uint8(values): values.count
        case let .int8(values): values.count
        case let .uint16(values): values.count
        case let .int16(values): values.count
        case let .uint32(values): values.count
        case let .int32(values): values.count
        case let .float32(values): values.count
        case let .bool(values): values.count
        case let .string(values): values.count
        case let .array(values): values.count
        case let .uint64(values): values.count
        case let .int64(values): values.count
        case let .float64(values): values.count
        }
    }

    /// `arr[u32]`, `arr[arr[i32]]` (the element type of an empty nested array is not known: `arr[arr]`).
    public var typeName: String {
        switch self {
        case .uint8: "arr[u8]"
        case .int8: "arr[i8]"
        case .uint16: "arr[u16]"
        case .int16: "arr[i16]"
        case .uint32: "arr[u32]"
        case .int32: "arr[i32]"
        case .float32: "arr[f32]"
        case .bool: "arr[bool]"
        case .string: "arr[str]"
        case let .array(values): values.first.map { "arr[\($0.typeName)]" } ?? "arr[arr]"
        case .uint64: "arr[u64]"
        case .int64: "arr[i64]"
        case .float64: "arr[f64]"
        }
    }
}
