// torch.save archives assembled byte by byte: views with offsets and strides, and the errors
// of the archive layer (missing records, storages too small, refused globals).
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite final class TorchArchiveTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func floats(_ values: [Float]) -> [UInt8] {
        var writer = ByteWriter(); writer.float32(values); return writer.bytes
    }

    private func write(_ records: [ZipRecord]) throws -> String {
        try scratch.write(zipBytes(records), to: "adapter_model.bin")
    }

    @Test func readsViewsWithOffsetsAndStrides() throws {
        // Storage 0 = [0, 1, ..., 7]; "t" is the transposed 2x3 view starting at element 2.
        let pickle = stateDictPickle([("t", "0", 8, 2, [3, 2], [1, 3]), ("w", "0", 8, 0, [2, 2], [2, 1])])
        let path = try write([ZipRecord(name: "my_model/data.pkl", data: pickle),
                              ZipRecord(name: "my_model/byteorder", data: Array("little".utf8)),
                              ZipRecord(name: "my_model/data/0", data: floats((0..<8).map(Float.init)))])
        let archive = try TorchArchive(path: path)
        #expect(archive.topFolder == "my_model")
        #expect(archive.descriptions.map(\.name) == ["t", "w"])
        // Element (i, j) is storage[2 + i + 3 j].
        #expect(try archive.record(named: "t").doubles() == [2, 5, 3, 6, 4, 7])
        #expect(try archive.record(named: "w").doubles() == [0, 1, 2, 3])
        // The Float path of the layer-by-layer pass: whole views and row ranges, strided or not.
        func converted(_ name: String, rows: Range<Int>? = nil) throws -> [Float] {
            let record = try archive.record(named: name)
            let count = (rows?.count ?? record.shape[0]) * record.shape[1]
            return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                try record.readFloats(rows: rows, into: buffer.baseAddress!)
                initialized = count
            }
        }
        #expect(try converted("t") == [2, 5, 3, 6, 4, 7])
        #expect(try converted("t", rows: 1..<3) == [3, 6, 4, 7])
        #expect(try converted("w", rows: 1..<2) == [2, 3])
    }

    @Test func persistentIDForAMissingRecord() throws {
        let path = try write([ZipRecord(name: "archive/data.pkl", data: stateDictPickle([("w", "7", 4, 0, [4], [1])]))])
        let archive = try TorchArchive(path: path)
        #expect(throws: TorchArchiveError.missingStorageRecord(file: path, tensor: "w", record: "archive/data/7")) {
            try archive.record(named: "w")
        }
    }

    @Test func storageTooSmallForSizeAndStride() throws {
        // A 3x3 view with row stride 3 needs 9 elements; the storage declares 8.
        let path = try write([ZipRecord(name: "archive/data.pkl", data: stateDictPickle([("w", "0", 8, 0, [3, 3], [3, 1])])),
                              ZipRecord(name: "archive/data/0", data: floats(Array(repeating: 1, count: 8)))])
        let archive = try TorchArchive(path: path)
        #expect(throws: TorchArchiveError.storageTooSmall(file: path, tensor: "w", needed: 9, available: 8)) {
            try archive.record(named: "w")
        }
    }

    @Test func storageRecordShorterThanDeclared() throws {
        let path = try write([ZipRecord(name: "archive/data.pkl", data: stateDictPickle([("w", "0", 4, 0, [4], [1])])),
                              ZipRecord(name: "archive/data/0", data: floats([1, 2]))])
        let archive = try TorchArchive(path: path)
        #expect(throws: TorchArchiveError.storageRecordTooSmall(file: path, record: "archive/data/0", needed: 16, found: 8)) {
            try archive.record(named: "w")
        }
    }

    @Test func refusedGlobalInsideAnArchive() throws {
        var pickle: [UInt8] = [0x80, 0x02]
        pickle += Array("cbuiltins\neval\n".utf8) + [0x2E]
        let path = try write([ZipRecord(name: "archive/data.pkl", data: pickle)])
        #expect(throws: PickleError.disallowedGlobal(source: "\(path):archive/data.pkl", module: "builtins", name: "eval", offset: 2)) {
            try TorchArchive(path: path)
        }
    }

    @Test func zipWithoutDataPickle() throws {
        let path = try write([ZipRecord(name: "something/else.txt", data: [1])])
        #expect(throws: TorchArchiveError.noDataPickle(file: path)) { try TorchArchive(path: path) }
    }

    @Test func pickleOfSomethingElse() throws {
        let path = try write([ZipRecord(name: "archive/data.pkl", data: [0x80, 0x02, 0x4B, 7, 0x2E])])
        #expect(throws: TorchArchiveError.notAStateDict(file: path, found: "int")) { try TorchArchive(path: path) }
    }

    @Test func compressedStorageIsRefusedOnlyWhenRead() throws {
        let pickle = stateDictPickle([("a", "0", 2, 0, [2], [1]), ("b", "1", 2, 0, [2], [1])])
        let path = try write([ZipRecord(name: "archive/data.pkl", data: pickle),
                              ZipRecord(name: "archive/data/0", data: floats([1, 2])),
                              ZipRecord(name: "archive/data/1", data: floats([3, 4]), method: 8)])
        let archive = try TorchArchive(path: path)
        #expect(try archive.record(named: "a").doubles() == [1, 2])
        #expect(throws: ZipError.compressedRecord(file: path, name: "archive/data/1", method: 8)) {
            try archive.record(named: "b")
        }
    }

    @Test func legacyFormatAndUnknownFiles() throws {
        let legacy = try scratch.write([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8], to: "old.bin")
        #expect(throws: TensorFileError.legacyTorchFormat(file: legacy)) { try openTensorFile(path: legacy) }
        let unknown = try scratch.write(Array("neither a ZIP nor safetensors".utf8), to: "adapter_model.txt")
        #expect(throws: TensorFileError.unrecognisedFormat(file: unknown)) { try openTensorFile(path: unknown) }
        // A safetensors header of 0x280 bytes: its length starts 0x80 0x02, as a pickle's PROTO 2 does.
        let json = #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#
        let header = json + String(repeating: " ", count: 0x280 - json.utf8.count)
        let lookalike = try scratch.write(safetensorsBytes(header: header, buffer: [0, 0, 0x80, 0x3F]), to: "model.safetensors")
        #expect(try openTensorFile(path: lookalike).record(named: "w").doubles() == [1])
    }
}
