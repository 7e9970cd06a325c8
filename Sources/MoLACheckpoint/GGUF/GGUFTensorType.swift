/// The element types of ggml (`enum ggml_type` in `ggml.h`) as GGUF stores them: the one table of
/// their ids, names, block sizes and block byte counts (ggml's `type_traits` in `ggml.c`, the block
/// structs in `ggml-common.h`).
///
/// Every type ggml defines is known, so that a file is validated whatever it holds; only some are
/// dequantized (`isDequantizable`). Ids 4, 5 (Q4_2, Q4_3) and 31-33, 36-38 (repacked layouts) were
/// removed from ggml and are refused like unknown ids.
public enum GGUFTensorType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41, q2_0 = 42

    /// ggml's name in upper case, as `gguf` (Python) prints it: `Q4_K`, `BF16`.
    public var name: String {
        String(describing: self).uppercased()
    }

    /// Values per block (1 for plain element types).
    public var blockSize: Int { Self.layout(self).values }

    /// Bytes per block.
    public var blockByteCount: Int { Self.layout(self).bytes }

    /// The super-block of the K-quants.
    static let superBlock = 256

    private static func layout(_ type: GGUFTensorType) -> (values: Int, bytes: Int) {
        switch type {
        case .f32: (1, 4)
        case .f16, .bf16: (1, 2)
        case .i8: (1, 1)
        case .i16: (1, 2)
        case .i32: (1, 4)
        case .i64, .f64: (1, 8)
        case .q4_0: (32, 2 + 16)              // d, 32 nibbles
        case .q4_1: (32, 2 + 2 + 16)          // d, m, 32 nibbles
        case .q5_0: (32, 2 + 4 + 16)          // d, high bits, nibbles
        case .q5_1: (32, 2 + 2 + 4 + 16)      // d, m, high bits, nibbles
        case .q8_0: (32, 2 + 32)              // d, 32 int8
        case .q8_1: (32, 2 + 2 + 32)          // d, s, 32 int8
        case .q2_K: (superBlock, 16 + 64 + 2 + 2)
        case .q3_K: (superBlock, 32 + 64 + 12 + 2)
        case .q4_K: (superBlock, 2 + 2 + 12 + 128)
        case .q5_K: (superBlock, 2 + 2 + 12 + 32 + 128)
        case .q6_K: (superBlock, 128 + 64 + 16 + 2)
        case .q8_K: (superBlock, 4 + 256 + 32)
        case .iq2_xxs: (superBlock, 2 + 64)
        case .iq2_xs: (superBlock, 2 + 64 + 8)
        case .iq3_xxs: (superBlock, 2 + 96)
        case .iq1_s: (superBlock, 2 + 32 + 16)
        case .iq4_nl: (32, 2 + 16)
        case .iq3_s: (superBlock, 2 + 13 * 8 + 4)
        case .iq2_s: (superBlock, 2 + 64 + 16)
        case .iq4_xs: (superBlock, 2 + 2 + 4 + 128)
        case .iq1_m: (superBlock, 32 + 16 + 8)
        case .tq1_0: (superBlock, 2 + 4 + 48)
        case .tq2_0: (superBlock, 64 + 2)
        case .mxfp4: (32, 1 + 16)
        case .nvfp4: (64, 4 + 32)
        case .q1_0: (128, 2 + 16)
        case .q2_0: (64, 2 + 16)
        }
    }

    /// Whether `GGUFFile.floats` converts this type.
    public var isDequantizable: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: true
        default: false
        }
    }
}
