// Malformed ZIP containers, each asserting its exact error; ZIP64 directories read correctly.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite final class ZipArchiveTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func archive(_ bytes: [UInt8]) throws -> ZipArchive {
        try ZipArchive(file: MappedFile(path: try scratch.write(bytes, to: "a.zip")))
    }

    private func contents(_ zip: ZipArchive, _ name: String) throws -> [UInt8] {
        let (offset, count) = try zip.storedData(of: zip.entries[name]!)
        return Array(zip.file.bytes(at: offset, count: count)!)
    }

    @Test func readsStoredRecordsInPlace() throws {
        let zip = try archive(zipBytes([ZipRecord(name: "x/data.pkl", data: [1, 2, 3]), ZipRecord(name: "x/data/0", data: [9])]))
        #expect(zip.names == ["x/data.pkl", "x/data/0"])
        #expect(try contents(zip, "x/data.pkl") == [1, 2, 3])
        #expect(try contents(zip, "x/data/0") == [9])
    }

    @Test func readsZip64Fields() throws {
        let zip = try archive(zipBytes([ZipRecord(name: "a", data: [5, 6]), ZipRecord(name: "b", data: [7])], zip64: true))
        #expect(zip.entries["a"]?.uncompressedSize == 2)
        #expect(try contents(zip, "a") == [5, 6])
        #expect(try contents(zip, "b") == [7])
    }

    @Test func noCentralDirectory() throws {
        let path = try scratch.write(Array(repeating: 0x41, count: 100), to: "n.zip")
        #expect(throws: ZipError.noEndOfCentralDirectory(file: path)) { try ZipArchive(file: MappedFile(path: path)) }
    }

    @Test func compressedRecordIsRefusedWhenRead() throws {
        let zip = try archive(zipBytes([ZipRecord(name: "a", data: [1, 2], method: 8)]))
        #expect(throws: ZipError.compressedRecord(file: zip.file.path, name: "a", method: 8)) {
            try zip.storedData(of: zip.entries["a"]!)
        }
    }

    @Test func directoryOutsideTheFile() throws {
        var bytes = zipBytes([ZipRecord(name: "a", data: [1])])
        // The end record's directory offset (at +16 from the end record, 22 bytes before the end).
        let position = bytes.count - 22 + 16
        bytes.replaceSubrange(position..<(position + 4), with: [0xFF, 0xFF, 0x00, 0x00])
        let path = try scratch.write(bytes, to: "d.zip")
        #expect(throws: ZipError.centralDirectoryOutOfRange(file: path, offset: 0xFFFF, size: 47)) {
            try ZipArchive(file: MappedFile(path: path))
        }
    }

    @Test func localHeaderMissing() throws {
        var bytes = zipBytes([ZipRecord(name: "a", data: [1])])
        bytes[0] = 0  // break the local header signature
        let zip = try archive(bytes)
        #expect(throws: ZipError.badLocalHeader(file: zip.file.path, name: "a", offset: 0)) {
            try zip.storedData(of: zip.entries["a"]!)
        }
    }

    @Test func duplicateNames() throws {
        let path = try scratch.write(zipBytes([ZipRecord(name: "a", data: [1]), ZipRecord(name: "a", data: [2])]), to: "dup.zip")
        #expect(throws: ZipError.duplicateName(file: path, name: "a")) { try ZipArchive(file: MappedFile(path: path)) }
    }

    /// One record "a" of one byte: its central header starts at byte 32.
    private func patchedSingleRecord(_ patch: (inout [UInt8]) -> Void) throws -> ZipArchive {
        var bytes = zipBytes([ZipRecord(name: "a", data: [1])])
        patch(&bytes)
        return try archive(bytes)
    }

    @Test func encryptedRecord() throws {
        let zip = try patchedSingleRecord { $0[32 + 8] = 1 }  // general-purpose flag bit 0
        #expect(throws: ZipError.encryptedRecord(file: zip.file.path, name: "a")) { try zip.storedData(of: zip.entries["a"]!) }
    }

    @Test func storedRecordWhoseSizesDisagree() throws {
        let zip = try patchedSingleRecord { $0[32 + 24] = 9 }  // uncompressed size 9, compressed 1
        #expect(throws: ZipError.storedSizeMismatch(file: zip.file.path, name: "a", compressed: 1, uncompressed: 9)) {
            try zip.storedData(of: zip.entries["a"]!)
        }
    }

    @Test func recordRunningPastTheEnd() throws {
        let zip = try patchedSingleRecord { bytes in
            bytes[32 + 20] = 200; bytes[32 + 24] = 200  // both sizes 200 bytes
        }
        #expect(throws: ZipError.recordOutOfRange(file: zip.file.path, name: "a", offset: 31, size: 200)) {
            try zip.storedData(of: zip.entries["a"]!)
        }
    }

    @Test func zip64LocatorPointingNowhere() throws {
        var bytes = zipBytes([ZipRecord(name: "a", data: [1])], zip64: true)
        // The locator's record offset: 20 bytes before the 22-byte end record, at +8.
        let position = bytes.count - 22 - 20 + 8
        bytes.replaceSubrange(position..<(position + 8), with: [0, 0, 0, 0, 0, 0, 0, 0])
        let path = try scratch.write(bytes, to: "z.zip")
        #expect(throws: ZipError.badZip64EndRecord(file: path, offset: 0)) { try ZipArchive(file: MappedFile(path: path)) }
    }

    /// Cut an archive at every byte: every prefix fails cleanly (the end record is gone).
    @Test func truncatedAtEveryPoint() throws {
        let bytes = zipBytes([ZipRecord(name: "x/data.pkl", data: Array(repeating: 7, count: 40)), ZipRecord(name: "x/version", data: [0x33])])
        for length in 0..<bytes.count {
            let path = try scratch.write(Array(bytes[..<length]), to: "cut.zip")
            #expect(throws: ZipError.noEndOfCentralDirectory(file: path)) { try ZipArchive(file: MappedFile(path: path)) }
        }
    }
}
