import MoLATensor

extension TensorRecord {
    /// Converts rows `rows` of a matrix (a vector is one row) to `Float` into `destination`,
    /// row-major and packed, straight from the mapped file: what a pass that keeps the weights
    /// in their stored type reads one layer (or a few embedding rows) at a time.
    ///
    /// - Throws: `UnsupportedDTypeError` when the element type is not F32, F16 or BF16.
    public func readFloats(rows: Range<Int>? = nil, into destination: UnsafeMutablePointer<Float>) throws {
        guard let dtype else { throw UnsupportedDTypeError(tensor: name, storedTypeName: storedTypeName) }
        precondition(shape.count == 1 || shape.count == 2, "readFloats: \(name) is not a matrix or a vector")
        let (rowCount, columns) = shape.count == 2 ? (shape[0], shape[1]) : (1, shape[0])
        let (rowStride, columnStride) = shape.count == 2 ? (strides[0], strides[1]) : (0, strides[0])
        let range = rows ?? 0..<rowCount
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "readFloats: rows \(range) outside \(name)")
        let bytes = storage.bytes
        for (index, row) in range.enumerated() {
            let first = storageOffset + row * rowStride
            let out = destination + index * columns
            if columnStride == 1 {
                let start = first * dtype.byteCount
                dtype.convert(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + columns * dtype.byteCount)]), count: columns, into: out)
            } else {
                for column in 0..<columns { out[column] = Float(dtype.element(bytes, at: first + column * columnStride)) }
            }
        }
    }
}
