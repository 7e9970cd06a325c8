// GGUF tensors kept quantized (`GGUFFile.quantizedMatrix`): their values are the dequantizer's
// bit for bit (which equals the `gguf` package's, GGUFTests), and rows come in the order asked.
import Foundation
import MoLATensor
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite struct GGUFQuantizedMatrixTests {
    @Test func valuesAreTheDequantizersBitForBit() throws {
        let file = try GGUFFile(path: GGUFTests.path)
        for name in ["t.Q4_0", "t.Q4_1", "t.Q8_0"] {
            let tensor = try file.tensor(named: name)
            let matrix = try #require(try file.quantizedMatrix(of: tensor), "\(name)")
            #expect(matrix.rows == 2 && matrix.columns == 64)
            assertClose(matrix.dequantized().map(Double.init), try file.floats(of: tensor).map(Double.init), rtol: 0, atol: 0, name)
        }
    }

    @Test func rowsInTheOrderAsked() throws {
        let file = try GGUFFile(path: GGUFTests.path)
        let tensor = try file.tensor(named: "t.Q4_1")
        let values = try file.floats(of: tensor)
        let swapped = try #require(try file.quantizedMatrix(of: tensor, rowOrder: [1, 0]))
        assertClose(swapped.dequantized().map(Double.init), (Array(values[64..<128]) + Array(values[0..<64])).map(Double.init),
                    rtol: 0, atol: 0, "rows swapped")
    }

    @Test func typesWithoutAQuantizedFormGiveNil() throws {
        let file = try GGUFFile(path: GGUFTests.path)
        for name in ["t.F32", "t.F16", "t.BF16", "t.Q5_0", "t.Q4_K", "t.Q6_K"] {
            #expect(try file.quantizedMatrix(of: file.tensor(named: name)) == nil, "\(name)")
            #expect(GGUFFile.quantizedMemory(of: try file.tensor(named: name)) == nil, "\(name)")
        }
    }

    /// The estimate a model asks before keeping the quantized matrices is what they hold.
    @Test func theMemoryEstimateIsWhatTheMatrixHolds() throws {
        let file = try GGUFFile(path: GGUFTests.path)
        for name in ["t.Q4_0", "t.Q4_1", "t.Q8_0"] {
            let tensor = try file.tensor(named: name)
            let matrix = try #require(try file.quantizedMatrix(of: tensor))
            #expect(GGUFFile.quantizedMemory(of: tensor)?.bytes == matrix.byteCount, "\(name)")
        }
    }
}
