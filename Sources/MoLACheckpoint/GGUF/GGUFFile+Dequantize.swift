import Foundation
import MoLAFiles

/// Tensor data to `Float`: F32, F16, BF16 and the block quantizations Q4_0, Q4_1, Q5_0, Q5_1,
/// Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, exactly as ggml's `dequantize_row_*` computes them.
extension GGUFFile {
    /// Rows are split over threads only when a tensor has at least this many elements.
    static let parallelThreshold = 1 << 16

    /// The values of the tensor called `name`, row-major (`tensor.shape`).
    ///
    /// - Throws: `GGUFError.noSuchTensor`, `.unsupportedTensorType` naming the type and the
    ///   tensor, `MemoryError` when the values would not fit in memory.
    public func floats(named name: String, threadCount: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Float] {
        try floats(of: tensor(named: name), threadCount: threadCount)
    }

    /// The values of `tensor` (one of this file's), row-major.
    public func floats(of tensor: GGUFTensor, threadCount: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Float] {
        guard tensor.type.isDequantizable else {
            throw GGUFError.unsupportedTensorType(file: path, tensor: tensor.name, type: tensor.type.name)
        }
        var memory = MemoryEstimate()
        memory.add(tensor.elementCount, elementBytes: MemorySize.float)
        try memory.require(for: "the values of tensor \(tensor.name)", source: path)
        return try [Float](unsafeUninitializedCapacity: tensor.elementCount) { buffer, initialized in
            try dequantize(tensor, into: buffer, threadCount: threadCount)
            initialized = tensor.elementCount
        }
    }

    /// Writes the values of `tensor` (one of this file's), row-major, into `destination`.
    ///
    /// Rows are independent: with `threadCount > 1`, runs of rows are converted on
    /// `DispatchQueue.concurrentPerform`'s threads.
    ///
    /// - Precondition: `destination` holds at least `tensor.elementCount` values.
    public func dequantize(_ tensor: GGUFTensor, into destination: UnsafeMutableBufferPointer<Float>,
                           threadCount: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        guard let position = tensorIndex[tensor.name], tensors[position] == tensor else {
            throw GGUFError.noSuchTensor(file: path, tensor: tensor.name)
        }
        guard tensor.type.isDequantizable else {
            throw GGUFError.unsupportedTensorType(file: path, tensor: tensor.name, type: tensor.type.name)
        }
        precondition(destination.count >= tensor.elementCount, "dequantize: destination smaller than \(tensor.name)")
        guard tensor.elementCount > 0, let output = destination.baseAddress else { return }
        // Validated when the file was opened: the bytes lie inside the mapping.
        guard let bytes = file.bytes(at: dataOffset + Int(tensor.storedOffset), count: tensor.byteCount),
              let source = bytes.baseAddress else {
            preconditionFailure("GGUF tensor \(tensor.name) outside \(path)")
        }
        let chunks = tensor.elementCount < Self.parallelThreshold ? 1 : min(max(threadCount, 1) * 4, tensor.rowCount)
        GGUFDequantizer.dequantizeRows(tensor.type, source, rowCount: tensor.rowCount, rowLength: tensor.rowLength,
                                       into: output, chunks: threadCount > 1 ? chunks : 1)
    }
}
