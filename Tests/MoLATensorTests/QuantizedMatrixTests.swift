// QuantizedMatrix's product with one vector against a naive float64 product over its
// dequantized values, for each code width, bias and offset, on one thread and several, and the
// same bit for bit whatever the threads and concurrent callers.
import MoLATestSupport
import Testing
@testable import MoLATensor

@Suite struct QuantizedMatrixTests {
    /// A random matrix of `rows` x `columns` with the given codes (scales and offsets random).
    static func random(rows: Int, columns: Int, codes: QuantizedMatrix.Codes, offsets: Bool, seed: UInt64) -> QuantizedMatrix {
        var random = SplitMix(seed: seed)
        let blocks = rows * columns / QuantizedMatrix.blockSize
        let scales = (0..<blocks).map { _ in Float(random.nextUnit() * 0.2 + 0.01) }
        let offsetValues = offsets ? (0..<blocks).map { _ in Float(random.nextUnit() - 0.5) } : nil
        let packed = (0..<(blocks * codes.byteCount)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        return QuantizedMatrix(rows: rows, columns: columns, codes: codes, scales: scales, offsets: offsetValues, packedCodes: packed)
    }

    static func naiveProduct(_ matrix: QuantizedMatrix, _ x: [Float]) -> [Double] {
        let values = matrix.dequantized()
        return (0..<matrix.rows).map { row in
            (0..<matrix.columns).reduce(0.0) { $0 + Double(values[row * matrix.columns + $1]) * Double(x[$1]) }
        }
    }

    @Test(arguments: [(QuantizedMatrix.Codes.fourBit(bias: 0), true), (.fourBit(bias: 8), false), (.eightBit, false), (.eightBit, true)])
    func productMatchesTheNaiveOne(codes: QuantizedMatrix.Codes, offsets: Bool) {
        // 2100 rows x 64 columns passes the threshold for several threads.
        for (rows, columns) in [(3, 32), (5, 96), (2100, 64)] {
            let matrix = Self.random(rows: rows, columns: columns, codes: codes, offsets: offsets, seed: UInt64(rows))
            var random = SplitMix(seed: 7)
            let x = (0..<columns).map { _ in Float(random.nextUnit() * 2 - 1) }
            let expected = Self.naiveProduct(matrix, x)
            let scale = expected.map(abs).max() ?? 1
            for threads in [1, 3] {
                var y = [Float](repeating: .nan, count: rows)
                x.withUnsafeBufferPointer { input in
                    y.withUnsafeMutableBufferPointer { matrix.multiply(input.baseAddress!, into: $0.baseAddress!, threads: threads) }
                }
                assertClose(y.map(Double.init), expected, rtol: 1e-5, atol: 1e-5 * scale, "\(codes) \(rows)x\(columns) threads \(threads)")
            }
        }
    }

    /// Each row is one worker's: the product is the same bit for bit on any number of threads,
    /// and when several callers share the helper threads at once (one runs its parts itself).
    @Test func productIsTheSameOnAnyThreadsAndForConcurrentCallers() async {
        let matrix = Self.random(rows: 2100, columns: 64, codes: .fourBit(bias: 0), offsets: true, seed: 11)
        var random = SplitMix(seed: 3)
        let x = (0..<64).map { _ in Float(random.nextUnit() * 2 - 1) }
        func product(threads: Int) -> [Float] {
            var y = [Float](repeating: .nan, count: matrix.rows)
            x.withUnsafeBufferPointer { input in
                y.withUnsafeMutableBufferPointer { matrix.multiply(input.baseAddress!, into: $0.baseAddress!, threads: threads) }
            }
            return y
        }
        let single = product(threads: 1)
        #expect(product(threads: 2) == single && product(threads: 3) == single)
        let results = await withTaskGroup(of: [Float].self) { group in
            for caller in 0..<8 { group.addTask { (0..<50).map { _ in product(threads: 2 + caller % 2) }.last! } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == single })
    }

    @Test func dequantizedValuesFollowTheBlockLayout() {
        // One 4-bit block: byte j holds value j (low nibble) and value j + 16 (high nibble).
        let packed = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let matrix = QuantizedMatrix(rows: 1, columns: 32, codes: .fourBit(bias: 8), scales: [0.5], offsets: [0.25], packedCodes: packed)
        let expected = (0..<32).map { j -> Double in Double((j < 16 ? j : 31 - j) - 8) * 0.5 + 0.25 }
        assertClose(matrix.dequantized().map(Double.init), expected, rtol: 0, atol: 0, "4-bit layout")
        let signed = QuantizedMatrix(rows: 1, columns: 32, codes: .eightBit, scales: [2], offsets: nil,
                                     packedCodes: (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) })
        assertClose(signed.dequantized().map(Double.init), (0..<32).map { Double(($0 - 16) * 2) }, rtol: 0, atol: 0, "8-bit layout")
        #expect(matrix.byteCount == 24 && signed.byteCount == 40)
    }

    /// ggml adds Q4_1's offset even when it is +0 (turning a -0 product into +0) and adds nothing
    /// for Q4_0 and Q8_0 (keeping -0): the signs of zeros follow it (a fuzzing finding).
    @Test func zerosKeepGGMLsSign() {
        let zeroCodes = [UInt8](repeating: 0, count: 16), eightCodes = [UInt8](repeating: 0x88, count: 16)
        let withOffset = QuantizedMatrix(rows: 1, columns: 32, codes: .fourBit(bias: 0), scales: [-2], offsets: [0], packedCodes: zeroCodes)
        #expect(withOffset.dequantized().allSatisfy { $0 == 0 && $0.sign == .plus })
        let withoutOffset = QuantizedMatrix(rows: 1, columns: 32, codes: .fourBit(bias: 8), scales: [-2], offsets: nil, packedCodes: eightCodes)
        #expect(withoutOffset.dequantized().allSatisfy { $0 == 0 && $0.sign == .minus })
    }
}
