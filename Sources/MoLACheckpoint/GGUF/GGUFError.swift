/// Every way a GGUF file can break the format's rules (layout: `GGUFFile`), and every way a
/// caller's request of a valid file can fail (a key that is missing or of another type, a tensor
/// whose element type is not dequantized here).
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    /// The file ends inside a field.
    case truncated(file: String, offset: Int, reading: String)
    /// The first four bytes are not `GGUF`.
    case badMagic(file: String, found: [UInt8])
    /// Only versions 2 and 3 are read (1 used 32-bit counts; 4 and later are unknown).
    case unsupportedVersion(file: String, version: UInt32)
    /// A tensor or key/value count larger than the rest of the file could hold.
    case countTooLarge(file: String, offset: Int, what: String, count: UInt64)
    /// A string whose declared length runs past the end of the file (or past `Int`).
    case stringPastEnd(file: String, offset: Int, length: UInt64)
    /// A string (key, value or tensor name) whose bytes are not UTF-8.
    case invalidUTF8(file: String, offset: Int, what: String)
    /// A key of zero length.
    case emptyKey(file: String, offset: Int)
    /// A key that appears twice.
    case duplicateKey(file: String, key: String, offset: Int)
    /// A value type outside the 13 the format defines.
    case unknownValueType(file: String, key: String, offset: Int, type: UInt32)
    /// An array whose element count cannot fit in the rest of the file.
    case arrayPastEnd(file: String, key: String, offset: Int, count: UInt64)
    /// Arrays of arrays nested deeper than `GGUFFile.maximumArrayNesting`.
    case arrayNestingTooDeep(file: String, key: String, offset: Int)
    /// `general.alignment` that is not a `UINT32`.
    case alignmentNotUInt32(file: String, found: String)
    /// `general.alignment` that is zero or not a power of two.
    case invalidAlignment(file: String, alignment: UInt32)
    /// A tensor name of `GGUFFile.maximumTensorNameLength` bytes or more (ggml's `GGML_MAX_NAME - 1`).
    case tensorNameTooLong(file: String, tensor: String, offset: Int)
    /// Two tensors of the same name.
    case duplicateTensor(file: String, tensor: String, offset: Int)
    /// More than 4 dimensions.
    case tooManyDimensions(file: String, tensor: String, offset: Int, count: UInt32)
    /// Dimensions whose product (elements or bytes) does not fit in 63 bits.
    case shapeOverflow(file: String, tensor: String, dimensions: [UInt64])
    /// An element type ggml does not define (or one removed from it).
    case unknownTensorType(file: String, tensor: String, offset: Int, type: UInt32)
    /// A row (the innermost dimension) that is not a whole number of blocks.
    case rowNotWholeBlocks(file: String, tensor: String, type: String, rowLength: Int, blockSize: Int)
    /// A data offset that is not a multiple of the alignment.
    case misalignedTensor(file: String, tensor: String, offset: UInt64, alignment: Int)
    /// A data offset other than the end of the previous tensor, padded (ggml's rule: no gaps, no overlaps).
    case unexpectedTensorOffset(file: String, tensor: String, offset: UInt64, expected: Int)
    /// A tensor whose bytes run past the end of the file.
    case tensorPastEnd(file: String, tensor: String, end: UInt64, fileSize: Int)
    /// A metadata key the caller needs that the file lacks.
    case missingKey(file: String, key: String)
    /// A metadata value of another type than the caller needs.
    case wrongValueType(file: String, key: String, expected: String, found: String)
    /// No tensor of this name.
    case noSuchTensor(file: String, tensor: String)
    /// An element type this project does not dequantize.
    case unsupportedTensorType(file: String, tensor: String, type: String)

    public var description: String {
        switch self {
        case let .truncated(file, offset, reading):
            "GGUF file ends at byte \(offset) while reading \(reading) (\(file))"
        case let .badMagic(file, found):
            "not a GGUF file: the first bytes are \(found.map { String($0, radix: 16) }), not \"GGUF\" (\(file), offset 0)"
        case let .unsupportedVersion(file, version):
            "GGUF version \(version) is not supported, only 2 and 3 (\(file), offset 4)"
        case let .countTooLarge(file, offset, what, count):
            "GGUF \(what) count \(count) cannot fit in the file (\(file), offset \(offset))"
        case let .stringPastEnd(file, offset, length):
            "GGUF string of \(length) bytes runs past the end of the file (\(file), offset \(offset))"
        case let .invalidUTF8(file, offset, what):
            "GGUF \(what) is not valid UTF-8 (\(file), offset \(offset))"
        case let .emptyKey(file, offset):
            "GGUF metadata key is empty (\(file), offset \(offset))"
        case let .duplicateKey(file, key, offset):
            "GGUF metadata key \(key) appears twice (\(file), offset \(offset))"
        case let .unknownValueType(file, key, offset, type):
            "GGUF metadata \(key) has unknown value type \(type) (\(file), offset \(offset))"
        case let .arrayPastEnd(file, key, offset, count):
            "GGUF metadata \(key): an array of \(count) elements cannot fit in the file (\(file), offset \(offset))"
        case let .arrayNestingTooDeep(file, key, offset):
            "GGUF metadata \(key): arrays nested deeper than \(GGUFFile.maximumArrayNesting) (\(file), offset \(offset))"
        case let .alignmentNotUInt32(file, found):
            "GGUF general.alignment is \(found), not uint32 (\(file))"
        case let .invalidAlignment(file, alignment):
            "GGUF general.alignment \(alignment) is not a power of two (\(file))"
        case let .tensorNameTooLong(file, tensor, offset):
            "GGUF tensor name \(tensor) is longer than \(GGUFFile.maximumTensorNameLength - 1) bytes (\(file), offset \(offset))"
        case let .duplicateTensor(file, tensor, offset):
            "GGUF tensor \(tensor) appears twice (\(file), offset \(offset))"
        case let .tooManyDimensions(file, tensor, offset, count):
            "GGUF tensor \(tensor) has \(count) dimensions, at most 4 are allowed (\(file), offset \(offset))"
        case let .shapeOverflow(file, tensor, dimensions):
            "GGUF tensor \(tensor) of dimensions \(dimensions) overflows 63-bit sizes (\(file))"
        case let .unknownTensorType(file, tensor, offset, type):
            "GGUF tensor \(tensor) has unknown element type \(type) (\(file), offset \(offset))"
        case let .rowNotWholeBlocks(file, tensor, type, rowLength, blockSize):
            "GGUF tensor \(tensor) of type \(type) has rows of \(rowLength) elements, not a multiple of its block of \(blockSize) (\(file))"
        case let .misalignedTensor(file, tensor, offset, alignment):
            "GGUF tensor \(tensor) starts at data offset \(offset), not a multiple of the alignment \(alignment) (\(file))"
        case let .unexpectedTensorOffset(file, tensor, offset, expected):
            "GGUF tensor \(tensor) starts at data offset \(offset), expected \(expected) (the previous tensor's padded end) (\(file))"
        case let .tensorPastEnd(file, tensor, end, fileSize):
            "GGUF tensor \(tensor) ends at byte \(end), past the end of the \(fileSize)-byte file (\(file))"
        case let .missingKey(file, key):
            "GGUF metadata has no key \(key) (\(file))"
        case let .wrongValueType(file, key, expected, found):
            "GGUF metadata \(key) is \(found), expected \(expected) (\(file))"
        case let .noSuchTensor(file, tensor):
            "GGUF file has no tensor \(tensor) (\(file))"
        case let .unsupportedTensorType(file, tensor, type):
            "GGUF tensor \(tensor) has element type \(type), which cannot be dequantized here (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K-Q6_K can) (\(file))"
        }
    }
}
