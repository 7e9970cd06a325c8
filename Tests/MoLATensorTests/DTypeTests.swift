// Element conversions checked exhaustively, and the BLAS Gram wrappers against naive loops.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLATensor

@Suite struct DTypeTests {
    /// Every one of the 65,536 half-precision bit patterns against the toolchain's Float16.
    @Test func halfConversionIsExactForEveryBitPattern() {
        for bits in 0...UInt16.max {
            let ours = DType.floatFromHalfBits(bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                #expect(ours.isNaN, "0x\(String(bits, radix: 16))")
            } else {
                #expect(ours.bitPattern == reference.bitPattern, "0x\(String(bits, radix: 16))")
            }
        }
    }

    @Test func convertsUnalignedLittleEndianBuffers() {
        // One padding byte first, so every element is unaligned.
        var bytes: [UInt8] = [0xAA]
        for value: Float in [1.5, -0.0, .infinity] { bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
        var result = [Double](repeating: 0, count: 3)
        bytes.withUnsafeBytes { raw in
            result.withUnsafeMutableBufferPointer {
                DType.float32.convert(UnsafeRawBufferPointer(rebasing: raw[1...]), count: 3, into: $0)
            }
        }
        #expect(result[0] == 1.5)
        #expect(result[1] == 0 && result[1].sign == .minus)
        #expect(result[2] == .infinity)
        // The two-byte types from an odd offset too, little-endian.
        let bfloat: [UInt8] = [0xAA, 0x80, 0x3F, 0x49, 0x40]  // 1.0, 3.140625
        var pair = [Double](repeating: 0, count: 2)
        bfloat.withUnsafeBytes { raw in
            pair.withUnsafeMutableBufferPointer { DType.bfloat16.convert(UnsafeRawBufferPointer(rebasing: raw[1...]), count: 2, into: $0) }
        }
        #expect(pair == [1, 3.140625])
        let half: [UInt8] = [0xAA, 0x00, 0x3C, 0x00, 0xC0]  // 1.0, -2.0
        half.withUnsafeBytes { raw in
            pair.withUnsafeMutableBufferPointer { DType.float16.convert(UnsafeRawBufferPointer(rebasing: raw[1...]), count: 2, into: $0) }
        }
        #expect(pair == [1, -2])
        #expect(half.withUnsafeBytes { DType.float16.element(UnsafeRawBufferPointer(rebasing: $0[1...]), at: 1) } == -2)
    }
}

@Suite struct LinearAlgebraTests {
    @Test(arguments: [(1, 1), (3, 5), (7, 2), (16, 33)])
    func gramsMatchNaiveLoops(rows: Int, columns: Int) {
        var generator = SplitMix(seed: UInt64(rows * 100 + columns))
        let matrix = (0..<(rows * columns)).map { _ in generator.normal() }
        var ofRows = [Double](repeating: .nan, count: rows * rows)
        var ofColumns = [Double](repeating: .nan, count: columns * columns)
        matrix.withUnsafeBufferPointer { m in
            ofRows.withUnsafeMutableBufferPointer { LinearAlgebra.gramOfRows(m, rows: rows, columns: columns, into: $0) }
            ofColumns.withUnsafeMutableBufferPointer { LinearAlgebra.gramOfColumns(m, rows: rows, columns: columns, into: $0) }
        }
        var expectedRows = [Double](repeating: 0, count: rows * rows)
        for i in 0..<rows { for j in 0..<rows { for k in 0..<columns { expectedRows[i * rows + j] += matrix[i * columns + k] * matrix[j * columns + k] } } }
        var expectedColumns = [Double](repeating: 0, count: columns * columns)
        for i in 0..<columns { for j in 0..<columns { for k in 0..<rows { expectedColumns[i * columns + j] += matrix[k * columns + i] * matrix[k * columns + j] } } }
        assertClose(ofRows, expectedRows, rtol: 1e-12, atol: 1e-12, "M M^T")
        assertClose(ofColumns, expectedColumns, rtol: 1e-12, atol: 1e-12, "M^T M")
    }
}

@Suite struct ElementTypeTableTests {
    /// The table is the one owner: `DType` agrees with it, and no name appears twice.
    @Test func dtypesAgreeWithTheTable() {
        for dtype in DType.allCases {
            let entry = ElementType.of(dtype)
            #expect(entry.dtype == dtype && entry.safetensorsName == dtype.rawValue)
            #expect(ElementType.safetensors(dtype.rawValue) == entry)
            #expect(ElementType.torchStorage(entry.torchStorageName!) == entry)
        }
        let safetensorsNames = ElementType.all.compactMap(\.safetensorsName)
        let storageNames = ElementType.all.compactMap(\.torchStorageName)
        #expect(Set(safetensorsNames).count == safetensorsNames.count && Set(storageNames).count == storageNames.count)
        #expect(ElementType.safetensors("F8_E4M3")?.byteCount == 1 && ElementType.safetensors("F8_E4M3")?.dtype == nil)
        #expect(ElementType.torchStorage("LongStorage")?.byteCount == 8)
        #expect(ElementType.safetensors("Q4_0") == nil)
    }
}

/// Encoding to F16 and BF16 rounds to nearest, ties to even, and decodes back through `DType.convert`.
@Suite struct DTypeEncodingTests {
    func roundTrip(_ values: [Float], _ dtype: DType) -> [Double] {
        let data = dtype.encoded(values)
        #expect(data.count == values.count * dtype.byteCount)
        var decoded = [Double](repeating: 0, count: values.count)
        data.withUnsafeBytes { bytes in decoded.withUnsafeMutableBufferPointer { dtype.convert(bytes, count: values.count, into: $0) } }
        return decoded
    }

    @Test func exactValuesSurviveEveryType() {
        let values: [Float] = [0, -0.5, 1, 2, -3.75, 1024, 0.125]
        for dtype in DType.allCases { #expect(roundTrip(values, dtype) == values.map(Double.init), "\(dtype)") }
    }

    @Test func halfAndBrainFloatRoundToNearestEven() {
        // 1 + 2^-11 lies halfway between 1 and the next half, 1 + 2^-10: ties go to the even 1.
        #expect(roundTrip([1 + 0x1p-11, 1 + 3 * 0x1p-11], .float16) == [1, 1 + 2 * 0x1p-10])
        // bfloat16 keeps 7 fraction bits: 1 + 2^-8 is halfway between 1 and 1 + 2^-7.
        #expect(roundTrip([1 + 0x1p-8, 1 + 3 * 0x1p-8], .bfloat16) == [1, 1 + 2 * 0x1p-7])
        #expect(roundTrip([70_000], .float16) == [.infinity])
        #expect(roundTrip([.nan], .bfloat16)[0].isNaN)
    }
}

/// `LinearAlgebra.multiply` against a naive triple loop, for every transposition, leading
/// dimensions wider than the rows, alpha and beta, and single rows (which go to sgemv).
@Suite struct MatrixProductTests {
    @Test(arguments: [(1, 5, 3), (1, 1, 4), (4, 6, 5), (2, 1, 7)])
    func productsMatchNaiveLoops(m: Int, n: Int, k: Int) {
        var random = SplitMix(seed: UInt64(m * 100 + n * 10 + k))
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let (lda, ldb, ldc) = ((transposeA ? m : k) + 2, (transposeB ? k : n) + 1, n + 3)
                let a = (0..<((transposeA ? k : m) * lda)).map { _ in random.uniform(1) }
                let b = (0..<((transposeB ? n : k) * ldb)).map { _ in random.uniform(1) }
                var c = (0..<(m * ldc)).map { _ in random.uniform(1) }
                var expected = c.map(Double.init)
                for row in 0..<m {
                    for column in 0..<n {
                        var sum = 0.0
                        for i in 0..<k {
                            let left = transposeA ? a[i * lda + row] : a[row * lda + i]
                            let right = transposeB ? b[column * ldb + i] : b[i * ldb + column]
                            sum += Double(left) * Double(right)
                        }
                        expected[row * ldc + column] = 0.5 * sum + 0.25 * expected[row * ldc + column]
                    }
                }
                c.withUnsafeMutableBufferPointer { out in
                    LinearAlgebra.multiply(a, transposeA: transposeA, leadingA: lda, b, transposeB: transposeB, leadingB: ldb,
                                           into: out.baseAddress!, leadingC: ldc, m: m, n: n, k: k, alpha: 0.5, beta: 0.25)
                }
                assertClose(c.map(Double.init), expected, rtol: 1e-5, atol: 1e-6, "m \(m) n \(n) k \(k) tA \(transposeA) tB \(transposeB)")
            }
        }
    }
}
