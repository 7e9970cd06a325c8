// Integer tensors (routing traces' indices and masks) read as Int, each stored type, and a float
// tensor refused.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite final class IntegerTensorTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    @Test func everyIntegerTypeAndAFloatRefused() throws {
        var buffer = ByteWriter()
        buffer.uint16(UInt16(bitPattern: -3)); buffer.uint16(7)           // I16 [2]
        buffer.uint64(UInt64(bitPattern: -5_000_000_000))                 // I64 [1]
        buffer.append([0xFF, 0x02])                                       // I8 [2]: -1, 2
        buffer.append([0xFF, 0x00])                                       // U8 [2]: 255, 0
        buffer.uint32(UInt32(bitPattern: -9)); buffer.uint32(1 << 30)     // I32 [2]
        buffer.float32([1.5])                                             // F32 [1]
        let header = """
        {"a": {"dtype": "I16", "shape": [2], "data_offsets": [0, 4]}, "b": {"dtype": "I64", "shape": [1], "data_offsets": [4, 12]},
         "c": {"dtype": "I8", "shape": [2], "data_offsets": [12, 14]}, "d": {"dtype": "U8", "shape": [2], "data_offsets": [14, 16]},
         "e": {"dtype": "I32", "shape": [2], "data_offsets": [16, 24]}, "f": {"dtype": "F32", "shape": [1], "data_offsets": [24, 28]}}
        """
        let file = try SafetensorsFile(path: scratch.write(safetensorsBytes(header: header, buffer: buffer.bytes), to: "ints.safetensors"))
        #expect(try file.record(named: "a").integers() == [-3, 7])
        #expect(try file.record(named: "b").integers() == [-5_000_000_000])
        #expect(try file.record(named: "c").integers() == [-1, 2])
        #expect(try file.record(named: "d").integers() == [255, 0])
        #expect(try file.record(named: "e").integers() == [-9, 1 << 30])
        #expect(throws: UnsupportedDTypeError(tensor: "f", storedTypeName: "F32")) { try file.record(named: "f").integers() }
    }
}
