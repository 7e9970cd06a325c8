/// One tensor info of a GGUF file (layout item 4 of `GGUFFile`): a description, not the data.
public struct GGUFTensor: Sendable, Equatable {
    public let name: String
    /// Sizes as the file stores them, innermost (contiguous) first: ggml's `ne`.
    public let dimensions: [Int]
    public let type: GGUFTensorType
    /// The offset in the data section as stored (validated by `GGUFFile`).
    public let storedOffset: UInt64
    /// Bytes of data: `elementCount / type.blockSize * type.blockByteCount`.
    public let byteCount: Int
    /// Product of the dimensions (checked for overflow).
    public let elementCount: Int

    /// The row-major shape, outermost first (numpy's and Hugging Face's order): `[rows, columns]`.
    public var shape: [Int] { dimensions.reversed() }

    /// Elements per row: the innermost dimension (1 for a scalar).
    public var rowLength: Int { dimensions.first ?? 1 }

    /// Number of rows: every dimension but the innermost.
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }

    /// Reads one tensor info at the cursor and checks what needs no other tensor.
    init(reading cursor: inout GGUFCursor) throws {
        let file = cursor.file.path
        let start = cursor.offset
        name = try cursor.string("a tensor name")
        guard name.utf8.count < GGUFFile.maximumTensorNameLength else {
            throw GGUFError.tensorNameTooLong(file: file, tensor: name, offset: start)
        }
        let dimensionsOffset = cursor.offset
        let dimensionCount = try cursor.uint32("the dimension count of tensor \(name)")
        guard dimensionCount <= 4 else {
            throw GGUFError.tooManyDimensions(file: file, tensor: name, offset: dimensionsOffset, count: dimensionCount)
        }
        let stored = try cursor.array(of: UInt64.self, count: Int(dimensionCount), reading: "the dimensions of tensor \(name)")
        // ggml reads sizes as int64 and refuses negative ones: the top bit must be clear.
        var elements = 1
        var overflow = false
        for size in stored {
            guard size <= UInt64(Int64.max) else { overflow = true; break }
            let (product, wrapped) = elements.multipliedReportingOverflow(by: Int(size))
            overflow = overflow || wrapped
            elements = product
        }
        guard !overflow else { throw GGUFError.shapeOverflow(file: file, tensor: name, dimensions: stored) }
        dimensions = stored.map { Int($0) }
        elementCount = elements
        let typeOffset = cursor.offset
        let rawType = try cursor.uint32("the element type of tensor \(name)")
        guard let type = GGUFTensorType(rawValue: rawType) else {
            throw GGUFError.unknownTensorType(file: file, tensor: name, offset: typeOffset, type: rawType)
        }
        self.type = type
        let rowLength = dimensions.first ?? 1
        guard rowLength % type.blockSize == 0 else {
            throw GGUFError.rowNotWholeBlocks(file: file, tensor: name, type: type.name, rowLength: rowLength,
                                              blockSize: type.blockSize)
        }
        let (bytes, bytesOverflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.blockByteCount)
        guard !bytesOverflow else { throw GGUFError.shapeOverflow(file: file, tensor: name, dimensions: stored) }
        byteCount = bytes
        storedOffset = try cursor.uint64("the data offset of tensor \(name)")
    }
}
