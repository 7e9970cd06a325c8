import MoLAFiles
import MoLATensor

/// One tensor of a checkpoint file: its name, element type, shape and where its elements lie.
///
/// A record is a description, not the data: values are converted only when `read` is called,
/// from the memory-mapped file, so listing a file or opening a 27 GB trainer checkpoint touches
/// only the bytes that are asked for. The readers validate every record when they open a file
/// (the storage holds every element the shape, strides and offset address), so reading cannot
/// leave the mapping.
public struct TensorRecord: Sendable {
    /// The name in the file, e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A_0.weight`.
    public let name: String
    /// The element type as the file names it (`F32`, `I64`, `torch.FloatStorage`, ...).
    public let storedTypeName: String
    /// The element type when it is one this project converts (F32, F16, BF16), else nil.
    public let dtype: DType?
    /// Sizes of each dimension.
    public let shape: [Int]
    /// Distance in elements between neighbours along each dimension.
    public let strides: [Int]
    /// Index of the first element within `storage`.
    public let storageOffset: Int
    /// The bytes of the whole storage the tensor views (validated to hold every element).
    let storage: StorageRegion

    /// Number of elements (the product of `shape`, checked for overflow when the file was opened).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Whether the elements are laid out row-major without gaps.
    public var isContiguous: Bool { strides == Self.rowMajorStrides(for: shape) }

    /// Row-major strides for `shape`, e.g. `[3, 4] -> [4, 1]`.
    public static func rowMajorStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for dimension in shape.indices.reversed() {
            strides[dimension] = step
            step = step &* max(shape[dimension], 1)
        }
        return strides
    }
}

/// A byte range of a mapped file, validated when the record was made.
struct StorageRegion: @unchecked Sendable {
    let file: MappedFile
    let byteOffset: Int
    let byteCount: Int

    var bytes: UnsafeRawBufferPointer {
        // Validated by the reader that made the record; a failure here is a reader bug.
        guard let bytes = file.bytes(at: byteOffset, count: byteCount) else {
            preconditionFailure("StorageRegion outside \(file.path)")
        }
        return bytes
    }
}

/// A tensor whose element type this project cannot convert to floating point.
public struct UnsupportedDTypeError: Error, Equatable, CustomStringConvertible {
    public let tensor: String
    public let storedTypeName: String
    public var description: String {
        "tensor \(tensor) has element type \(storedTypeName); only F32, F16 and BF16 can be read"
    }
}

extension TensorRecord {
    /// Converts the tensor's elements, in row-major order, to `Double` into `destination`.
    ///
    /// - Throws: `UnsupportedDTypeError` when the element type is not F32, F16 or BF16.
    public func read(into destination: UnsafeMutableBufferPointer<Double>) throws {
        guard let dtype else { throw UnsupportedDTypeError(tensor: name, storedTypeName: storedTypeName) }
        precondition(destination.count >= elementCount, "read: destination smaller than \(name)")
        let bytes = storage.bytes
        if isContiguous {
            let start = storageOffset * dtype.byteCount
            let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + elementCount * dtype.byteCount)])
            dtype.convert(slice, count: elementCount, into: destination)
            return
        }
        gatherStrided(dtype: dtype, bytes: bytes, into: destination)
    }

    /// Converts a matrix's rows into `destination`, row `i` starting at `i * rowStride`.
    ///
    /// Lets a caller place several matrices side by side (`rowStride` wider than a row)
    /// without an intermediate copy.
    ///
    /// - Throws: `UnsupportedDTypeError` when the element type is not F32, F16 or BF16.
    public func read(into destination: UnsafeMutableBufferPointer<Double>, rowStride: Int) throws {
        precondition(shape.count == 2 && rowStride >= shape[1], "read(rowStride:): \(name) is not a matrix narrower than \(rowStride)")
        let (rows, columns) = (shape[0], shape[1])
        precondition(rows == 0 || destination.count >= (rows - 1) * rowStride + columns, "read: destination too small for \(name)")
        guard let dtype else { throw UnsupportedDTypeError(tensor: name, storedTypeName: storedTypeName) }
        guard isContiguous else {
            var values = [Double](repeating: 0, count: elementCount)
            try values.withUnsafeMutableBufferPointer { try read(into: $0) }
            for row in 0..<rows {
                for column in 0..<columns { destination[row * rowStride + column] = values[row * columns + column] }
            }
            return
        }
        let bytes = storage.bytes
        let rowBytes = columns * dtype.byteCount
        for row in 0..<rows {
            let start = (storageOffset + row * columns) * dtype.byteCount
            dtype.convert(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + rowBytes)]), count: columns,
                          into: UnsafeMutableBufferPointer(rebasing: destination[(row * rowStride)...]))
        }
    }

    /// The tensor's values as `Double`, row-major.
    ///
    /// - Throws: `MemoryError` when they would not fit in memory (a view whose strides
    ///   repeat a few stored elements can claim far more values than its file holds),
    ///   `UnsupportedDTypeError`.
    public func doubles() throws -> [Double] {
        var memory = MemoryEstimate()
        memory.add(elementCount, elementBytes: MemoryLayout<Double>.size)
        try memory.require(for: "the values of tensor \(name)")
        return try [Double](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
            try read(into: buffer)
            initialized = elementCount
        }
    }

    /// Walks the multi-index in row-major order and follows the strides.
    ///
    /// Every position read is inside the storage (the reader checked the view's last element),
    /// but stepping past the end of a dimension of size 1 with a huge stride can overflow on
    /// the way: the arithmetic wraps, and the step back unwraps it exactly.
    private func gatherStrided(dtype: DType, bytes: UnsafeRawBufferPointer,
                               into destination: UnsafeMutableBufferPointer<Double>) {
        let count = elementCount
        guard count > 0 else { return }
        var index = [Int](repeating: 0, count: shape.count)
        var position = storageOffset
        for output in 0..<count {
            destination[output] = dtype.element(bytes, at: position)
            var dimension = shape.count - 1
            while dimension >= 0 {
                index[dimension] += 1
                position &+= strides[dimension]
                if index[dimension] < shape[dimension] { break }
                position &-= strides[dimension] &* shape[dimension]
                index[dimension] = 0
                dimension -= 1
            }
        }
    }
}
