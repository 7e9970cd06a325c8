extension QuantizedMatrix {
    /// Every value, `scale * (code - bias) + offset` in that order of operations (the offset
    /// added only when the matrix has offsets), row-major: the naive reference the product
    /// is tested against, and what ggml's `dequantize_row_*` gives for the types mapped here.
    public func dequantized() -> [Float] {
        var values = [Float](repeating: 0, count: rows * columns)
        storage.withUnsafeBytes { bytes in
            for block in 0..<(rows * blocksPerRow) {
                let source = bytes.baseAddress! + block * blockBytes
                let scale = source.loadUnaligned(as: Float.self), offset = source.loadUnaligned(fromByteOffset: 4, as: Float.self)
                let codeBytes = source + Self.headerBytes
                for j in 0..<Self.blockSize {
                    let code: Float
                    switch codes {
                    case .fourBit(let bias):
                        let byte = codeBytes.load(fromByteOffset: j % 16, as: UInt8.self)
                        code = Float(Int(j < 16 ? byte & 0x0F : byte >> 4) - bias)
                    case .eightBit:
                        code = Float(codeBytes.load(fromByteOffset: j, as: Int8.self))
                    }
                    values[block * Self.blockSize + j] = hasOffsets ? code * scale + offset : code * scale
                }
            }
        }
        return values
    }
}
