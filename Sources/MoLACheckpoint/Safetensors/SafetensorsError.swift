/// Every way a safetensors file can break the format's rules.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// Fewer than the 8 bytes of the header length.
    case fileTooSmall(file: String, size: Int)
    /// The declared header length exceeds `SafetensorsFile.maximumHeaderSize`.
    case headerTooLarge(file: String, declared: UInt64)
    /// The declared header runs past the end of the file.
    case headerPastEnd(file: String, declared: Int, fileSize: Int)
    /// The header is not valid JSON.
    case invalidJSON(file: String, reason: String)
    /// The header is JSON but not an object.
    case headerNotObject(file: String)
    /// `__metadata__` is not an object of strings.
    case invalidMetadata(file: String)
    /// A tensor entry lacks a field or has one of the wrong kind.
    case invalidEntry(file: String, tensor: String, reason: String)
    /// A dtype the format does not define.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// The element count or byte length of a shape does not fit in 64 bits.
    case shapeOverflow(file: String, tensor: String, shape: [Int])
    /// `begin > end`.
    case invalidOffsets(file: String, tensor: String, begin: Int, end: Int)
    /// `end - begin` differs from the element count times the dtype size.
    case byteLengthMismatch(file: String, tensor: String, expected: Int, found: Int)
    /// A tensor ends past the end of the byte buffer.
    case offsetsOutOfRange(file: String, tensor: String, end: Int, bufferSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(file: String, first: String, second: String, offset: Int)
    /// Bytes of the buffer that no tensor covers.
    case hole(file: String, begin: Int, end: Int)

    public var description: String {
        switch self {
        case let .fileTooSmall(file, size):
            "\(file) is \(size) bytes, too small for a safetensors file (at least 8) (\(file))"
        case let .headerTooLarge(file, declared):
            "safetensors header length \(declared) exceeds the limit of \(SafetensorsFile.maximumHeaderSize) bytes (\(file), offset 0)"
        case let .headerPastEnd(file, declared, fileSize):
            "safetensors header of \(declared) bytes runs past the end of the \(fileSize)-byte file (\(file), offset 0)"
        case let .invalidJSON(file, reason):
            "safetensors header is not valid JSON: \(reason) (\(file), offset 8)"
        case let .headerNotObject(file):
            "safetensors header is not a JSON object (\(file), offset 8)"
        case let .invalidMetadata(file):
            "safetensors __metadata__ is not an object of strings (\(file))"
        case let .invalidEntry(file, tensor, reason):
            "safetensors entry for tensor \(tensor): \(reason) (\(file))"
        case let .unknownDType(file, tensor, dtype):
            "unknown dtype \"\(dtype)\" for tensor \(tensor) (\(file))"
        case let .shapeOverflow(file, tensor, shape):
            "shape \(shape) of tensor \(tensor) overflows 64-bit sizes (\(file))"
        case let .invalidOffsets(file, tensor, begin, end):
            "data_offsets [\(begin), \(end)) of tensor \(tensor) end before they begin (\(file))"
        case let .byteLengthMismatch(file, tensor, expected, found):
            "tensor \(tensor) needs \(expected) bytes for its shape and dtype but its data_offsets span \(found) (\(file))"
        case let .offsetsOutOfRange(file, tensor, end, bufferSize):
            "tensor \(tensor) ends at byte \(end), past the \(bufferSize)-byte data buffer (\(file))"
        case let .overlappingTensors(file, first, second, offset):
            "tensors \(first) and \(second) overlap at buffer offset \(offset) (\(file))"
        case let .hole(file, begin, end):
            "bytes [\(begin), \(end)) of the data buffer belong to no tensor (\(file))"
        }
    }
}
