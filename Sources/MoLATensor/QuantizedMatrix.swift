/// A `[rows, columns]` matrix kept as blocks of 32 values with 4-bit or 8-bit codes, for
/// products with one vector (a token's step of generation) that read 0.75 or 1.25 bytes per
/// value instead of Float32's 4.
///
/// Every value is `scale * (code - bias) + offset`, with one Float `scale` and `offset` per block
/// and one `bias` per matrix: ggml's block quantizations map onto it exactly (Q4_0: nibbles, bias
/// 8, no offsets; Q4_1: nibbles, bias 0, offset m; Q8_0: signed bytes, no offsets), so that
/// `dequantized()` gives the values ggml's `dequantize_row_*` gives, bit for bit, for those types
/// (a NaN's payload aside: which operand's NaN `q * d + m` keeps is the compiler's choice).
/// (A matrix without offsets stores 0 and never adds it: `-0 + 0` is `+0`, and ggml adds nothing.)
///
/// A block in `storage` (row-major, `columns / 32` blocks per row):
/// ```
/// 1. scale   Float32, 4 bytes
/// 2. offset  Float32, 4 bytes
/// 3. codes   .fourBit: 16 bytes, value j < 16 in the low nibble of byte j, value j >= 16 in the
///            high nibble of byte j - 16 (ggml's order);  .eightBit: 32 signed bytes
/// ```
/// The product with a vector folds the bias and offset into the block's sum of `x`:
/// ```
/// y_r = sum_b scale_b (sum_j code_j x_j) + (offset_b - scale_b bias) S_b,   S_b = sum over block b of x
/// ```
/// which differs from the product with the dequantized Float32 values by rounding only.
public struct QuantizedMatrix: Sendable {
    /// How a block's 32 codes are stored.
    public enum Codes: Sendable, Equatable {
        /// Unsigned nibbles, 16 bytes a block; `bias` is subtracted from each.
        case fourBit(bias: Int)
        /// Signed bytes, 32 a block.
        case eightBit

        /// The bytes of one block's codes.
        public var byteCount: Int {
            switch self {
            case .fourBit: return 16
            case .eightBit: return 32
            }
        }
    }

    /// Values per block.
    public static let blockSize = 32
    /// The scale and offset before each block's codes.
    public static let headerBytes = 8

    public let rows: Int
    public let columns: Int
    public let codes: Codes
    /// Whether values have an offset added (Q4_1); without (Q4_0, Q8_0) the stored offsets are 0.
    public let hasOffsets: Bool
    /// The blocks, row-major (see the layout above).
    let storage: [UInt8]

    var blocksPerRow: Int { columns / Self.blockSize }
    var blockBytes: Int { Self.headerBytes + codes.byteCount }

    /// A matrix from each block's scale and offset and its codes in ggml's order.
    ///
    /// - Parameters:
    ///   - scales: one per block, row-major (`rows * columns / 32`).
    ///   - offsets: as many, or nil for a quantization whose values have none.
    ///   - packedCodes: `codes.byteCount` bytes per block, row-major.
    /// - Precondition: `columns` is a positive multiple of 32 and the arrays have those sizes
    ///   (the caller, which read them from a file, has checked them).
    public init(rows: Int, columns: Int, codes: Codes, scales: [Float], offsets: [Float]?, packedCodes: [UInt8]) {
        let blockCount = rows * columns / Self.blockSize
        precondition(rows > 0 && columns > 0 && columns % Self.blockSize == 0,
                     "QuantizedMatrix: \(rows) x \(columns) is not a whole number of 32-value blocks per row")
        precondition(scales.count == blockCount && (offsets?.count ?? blockCount) == blockCount
                     && packedCodes.count == blockCount * codes.byteCount,
                     "QuantizedMatrix: \(scales.count) scales, \(offsets?.count ?? 0) offsets, \(packedCodes.count) code bytes for \(blockCount) blocks")
        self.rows = rows
        self.columns = columns
        self.codes = codes
        hasOffsets = offsets != nil
        let codeBytes = codes.byteCount, blockBytes = Self.headerBytes + codeBytes
        storage = [UInt8](unsafeUninitializedCapacity: blockCount * blockBytes) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            packedCodes.withUnsafeBytes { source in
                for block in 0..<blockCount {
                    let target = base + block * blockBytes
                    target.storeBytes(of: scales[block], as: Float.self)
                    target.storeBytes(of: offsets?[block] ?? 0, toByteOffset: 4, as: Float.self)
                    (target + Self.headerBytes).copyMemory(from: source.baseAddress! + block * codeBytes, byteCount: codeBytes)
                }
            }
            initialized = blockCount * blockBytes
        }
    }

    /// The bytes this matrix holds.
    public var byteCount: Int { storage.count }

    /// `y = W x` for one vector: `x` has `columns` values, `y` gets `rows`.
    ///
    /// Rows are split over `threads` workers (`SpinningWorkers`, waiting between products) when the matrix
    /// is large enough for that to pay.
    public func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, threads: Int = 1) {
        let blocks = blocksPerRow
        let blockSums = [Float](unsafeUninitializedCapacity: blocks) { sums, initialized in
            for block in 0..<blocks { sums[block] = QuantizedKernels.blockSum(x + block * Self.blockSize) }
            initialized = blocks
        }
        storage.withUnsafeBytes { bytes in
            blockSums.withUnsafeBufferPointer { sums in
                QuantizedKernels.multiplyRows(self, bytes.baseAddress!, x: x, blockSums: sums.baseAddress!, into: y,
                                              threads: rows * columns >= Self.parallelThreshold ? threads : 1)
            }
        }
    }

    /// Matrices with fewer values run on one thread: waking a second costs more than it saves.
    static let parallelThreshold = 1 << 16
}
