import MoLAFiles
import MoLATensor

/// GGUF tensors kept in their block quantization as `QuantizedMatrix`, for products with one
/// vector that read a fraction of the Float32 copy's bytes.
extension GGUFFile {
    /// How `quantizedMatrix(of:)` keeps `tensor`'s codes, or nil when it keeps no quantized form
    /// (types other than Q4_0, Q4_1 and Q8_0, tensors that are not matrices).
    static func quantizedCodes(of tensor: GGUFTensor) -> QuantizedMatrix.Codes? {
        guard tensor.dimensions.count == 2, tensor.rowCount > 0 else { return nil }
        switch tensor.type {
        case .q4_0: return .fourBit(bias: 8)
        case .q4_1: return .fourBit(bias: 0)
        case .q8_0: return .eightBit
        default: return nil
        }
    }

    /// The bytes `quantizedMatrix(of:)` would hold for `tensor` (nil where it gives nil): a
    /// scale, an offset and the codes per block of 32 values.
    public static func quantizedMemory(of tensor: GGUFTensor) -> MemoryEstimate? {
        guard let codes = quantizedCodes(of: tensor) else { return nil }
        var memory = MemoryEstimate()
        memory.add(tensor.rowCount, tensor.rowLength / QuantizedMatrix.blockSize, QuantizedMatrix.headerBytes + codes.byteCount,
                   elementBytes: 1)
        return memory
    }

    /// The 2-D tensor `tensor` (one of this file's) as a `QuantizedMatrix`, its rows taken in
    /// `rowOrder` (row r of the result is stored row `rowOrder[r]`; all rows in order when nil),
    /// or nil when its type has no such form (Q4_0, Q4_1 and Q8_0 have one). The result's
    /// `dequantized()` values equal `floats(of:)`'s bit for bit (NaN payloads aside).
    ///
    /// - Throws: `GGUFError.noSuchTensor` for a tensor of another file, `MemoryError` when the
    ///   matrix would not fit in memory.
    /// - Precondition: `rowOrder`, when given, is a permutation of the tensor's rows.
    public func quantizedMatrix(of tensor: GGUFTensor, rowOrder: [Int]? = nil) throws -> QuantizedMatrix? {
        guard let position = tensorIndex[tensor.name], tensors[position] == tensor else {
            throw GGUFError.noSuchTensor(file: path, tensor: tensor.name)
        }
        guard let codes = Self.quantizedCodes(of: tensor) else { return nil }
        let rows = tensor.rowCount, blocksPerRow = tensor.rowLength / tensor.type.blockSize
        let order = rowOrder ?? Array(0..<rows)
        precondition(order.count == rows && Set(order).count == rows && order.allSatisfy { (0..<rows).contains($0) },
                     "quantizedMatrix: the row order is not a permutation of \(rows) rows")
        // Validated when the file was opened: the bytes lie inside the mapping.
        guard let bytes = file.bytes(at: dataOffset + Int(tensor.storedOffset), count: tensor.byteCount),
              let source = bytes.baseAddress else {
            preconditionFailure("GGUF tensor \(tensor.name) outside \(path)")
        }
        let blockBytes = tensor.type.blockByteCount, codeBytes = codes.byteCount
        // ggml's blocks (`ggml-common.h`): Q4_0 d, qs[16];  Q4_1 d, m, qs[16];  Q8_0 d, qs[32];  d and m f16.
        let codesOffset = blockBytes - codeBytes, hasOffset = tensor.type == .q4_1
        let blockCount = rows * blocksPerRow
        // The blocks, and the scales, offsets and codes gathered before them.
        var memory = MemoryEstimate()
        memory.add(blockCount, 2 * (8 + codeBytes), elementBytes: 1)
        try memory.require(for: "the quantized values of tensor \(tensor.name)", source: path)
        var scales = [Float](repeating: 0, count: blockCount), offsets = [Float](repeating: 0, count: blockCount)
        var packed = [UInt8](repeating: 0, count: blockCount * codeBytes)
        packed.withUnsafeMutableBytes { target in
            for (row, stored) in order.enumerated() {
                for block in 0..<blocksPerRow {
                    let index = row * blocksPerRow + block
                    let from = UnsafeRawPointer(source) + (stored * blocksPerRow + block) * blockBytes
                    scales[index] = DType.floatFromHalfBits(UInt16(littleEndian: from.loadUnaligned(as: UInt16.self)))
                    if hasOffset {
                        offsets[index] = DType.floatFromHalfBits(UInt16(littleEndian: from.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
                    }
                    (target.baseAddress! + index * codeBytes).copyMemory(from: from + codesOffset, byteCount: codeBytes)
                }
            }
        }
        return QuantizedMatrix(rows: rows, columns: tensor.rowLength, codes: codes, scales: scales, offsets: hasOffset ? offsets : nil,
                               packedCodes: packed)
    }
}
