/// Every element type a tensor file may name: its size and its name in each format, in one
/// table that the safetensors reader and writer, the torch.save reader and writer and `DType`
/// all consult (a test keeps `DType` in step with it).
///
/// Only the floating types with a `dtype` (F32, F16, BF16) can be read as values; the others are
/// known so that files holding them are measured correctly and refused by name when read.
public struct ElementType: Sendable, Hashable {
    /// Bytes per element.
    public let byteCount: Int
    /// The safetensors `dtype` string, e.g. `F32`.
    public let safetensorsName: String?
    /// The `torch.*Storage` class, e.g. `FloatStorage`.
    public let torchStorageName: String?
    /// The floating type values convert through, for the types this project reads.
    public let dtype: DType?

    public static let float64 = ElementType(byteCount: 8, safetensorsName: "F64", torchStorageName: "DoubleStorage", dtype: nil)
    public static let float32 = ElementType(byteCount: 4, safetensorsName: "F32", torchStorageName: "FloatStorage", dtype: .float32)
    public static let float16 = ElementType(byteCount: 2, safetensorsName: "F16", torchStorageName: "HalfStorage", dtype: .float16)
    public static let bfloat16 = ElementType(byteCount: 2, safetensorsName: "BF16", torchStorageName: "BFloat16Storage", dtype: .bfloat16)

    /// The whole table.
    public static let all: [ElementType] = [
        float64, float32, float16, bfloat16,
        ElementType(byteCount: 1, safetensorsName: "F8_E5M2", torchStorageName: nil, dtype: nil),
        ElementType(byteCount: 1, safetensorsName: "F8_E4M3", torchStorageName: nil, dtype: nil),
        ElementType(byteCount: 8, safetensorsName: "I64", torchStorageName: "LongStorage", dtype: nil),
        ElementType(byteCount: 4, safetensorsName: "I32", torchStorageName: "IntStorage", dtype: nil),
        ElementType(byteCount: 2, safetensorsName: "I16", torchStorageName: "ShortStorage", dtype: nil),
        ElementType(byteCount: 1, safetensorsName: "I8", torchStorageName: "CharStorage", dtype: nil),
        ElementType(byteCount: 8, safetensorsName: "U64", torchStorageName: nil, dtype: nil),
        ElementType(byteCount: 4, safetensorsName: "U32", torchStorageName: nil, dtype: nil),
        ElementType(byteCount: 2, safetensorsName: "U16", torchStorageName: nil, dtype: nil),
        ElementType(byteCount: 1, safetensorsName: "U8", torchStorageName: "ByteStorage", dtype: nil),
        ElementType(byteCount: 1, safetensorsName: "BOOL", torchStorageName: "BoolStorage", dtype: nil),
    ]

    private static let bySafetensorsName = Dictionary(uniqueKeysWithValues: all.compactMap { type in type.safetensorsName.map { ($0, type) } })
    private static let byTorchStorageName = Dictionary(uniqueKeysWithValues: all.compactMap { type in type.torchStorageName.map { ($0, type) } })

    /// The type a safetensors header names, e.g. `F32`.
    public static func safetensors(_ name: String) -> ElementType? { bySafetensorsName[name] }

    /// The type of a `torch.<name>` storage class, e.g. `FloatStorage`.
    public static func torchStorage(_ name: String) -> ElementType? { byTorchStorageName[name] }

    /// The entry of a floating type this project reads.
    public static func of(_ dtype: DType) -> ElementType {
        switch dtype {
        case .float32: float32
        case .float16: float16
        case .bfloat16: bfloat16
        }
    }
}
