// The safetensors and torch.save writers: seeded round trips through this project's readers.
// (Tests/Fixtures/check_written_checkpoints.py checks the same files with safetensors and
// torch.load, run by hand.)
import Foundation
import MoLAFiles
import MoLATensor
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite final class WriterTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static func entries(seed: UInt64) -> [SafetensorsWriter.Entry] {
        var random = SplitMix(seed: seed)
        let shapes: [[Int]] = [[3, 4], [8], [2, 1, 5], [0, 3], [1]]
        return shapes.enumerated().map { index, shape in
            SafetensorsWriter.Entry(name: "tensor.\(index)_\"quoted\"", shape: shape,
                                    values: (0..<shape.reduce(1, *)).map { _ in random.uniform(10) })
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func safetensorsRoundTrip(seed: UInt64) throws {
        let entries = Self.entries(seed: seed)
        let path = scratch.path("t.safetensors")
        try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["format": "pt"])
        #expect(Set(file.records.map(\.name)) == Set(entries.map(\.name)))
        for entry in entries {
            let record = try file.record(named: entry.name)
            #expect(record.shape == entry.shape)
            #expect(try record.doubles().map { Float($0) } == entry.values)
        }
        // The header is padded to a multiple of 8.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } % 8 == 0)
    }

    @Test(arguments: [UInt64(4), 5])
    func torchSaveRoundTrip(seed: UInt64) throws {
        let entries = Self.entries(seed: seed)
        let path = scratch.path("adapter_model.bin")
        try TorchSaveWriter.write(entries, to: path)
        let archive = try TorchArchive(path: path)
        #expect(archive.topFolder == "archive")
        #expect(archive.descriptions.map(\.name) == entries.map(\.name))
        for entry in entries {
            let record = try archive.record(named: entry.name)
            #expect(record.shape == entry.shape)
            #expect(try record.doubles().map { Float($0) } == entry.values)
            // Stored records start on 64-byte boundaries.
            #expect(record.storage.byteOffset % 64 == 0)
        }
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(ZipWriter.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    /// A write to the same path that stops before its commit (a full disk, a crash) leaves the old
    /// file whole and no temporary behind; one that completes replaces it.
    @Test func aFailingWriteLeavesTheOldFile() throws {
        let path = scratch.path("keep.safetensors")
        try SafetensorsWriter.write(Self.entries(seed: 9), to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            let interrupted = try AtomicFileWriter(path: path)
            try interrupted.write(before.prefix(before.count / 2))
            // Dropped here without commit(), as a throwing writer is.
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["keep.safetensors"])
        // A directory in the way of the rename: the write fails, the directory and its content stay.
        let blocked = scratch.path("blocked.safetensors")
        try scratch.write([1, 2, 3], to: "blocked.safetensors/inside")
        #expect(throws: AtomicFileError.self) { try SafetensorsWriter.write(Self.entries(seed: 10), to: blocked) }
        #expect(FileManager.default.contents(atPath: "\(blocked)/inside") == Data([1, 2, 3]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["blocked.safetensors", "keep.safetensors"])
        try SafetensorsWriter.write(Self.entries(seed: 10), to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) != before)
    }
}
