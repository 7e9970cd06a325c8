// AtomicFileWriter, FileIdentity and JSON Lines on small files: nothing is lost (a failure
// leaves no temporary file and the destination untouched), devices are written in place, write
// errors are errors, and one file is recognised however its path is spelled.
import Foundation
import Glibc
import MoLAFiles
import MoLATestSupport
import Testing

@Suite final class AtomicFileWriterTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    /// The names in the scratch directory (temporary files start with a dot).
    private func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted()
    }

    private struct Midway: Error {}

    @Test func aWriterDroppedMidwayLeavesNothingAndTheOldFileWhole() throws {
        let path = try scratch.write(Array("old".utf8), to: "out.txt")
        do {
            let writer = try AtomicFileWriter(path: path)
            try writer.write(Data("half of the new".utf8))
            #expect(try names().contains { $0.hasPrefix(".out.txt.") && $0.hasSuffix(".tmp") })
        }
        #expect(try names() == ["out.txt"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
    }

    @Test func aThrowingProducerLeavesNothing() throws {
        let path = scratch.path("figure.png")
        #expect(throws: Midway.self) {
            try AtomicFileWriter.produce(path) { temporary in
                try Data("partial".utf8).write(to: URL(fileURLWithPath: temporary))
                throw Midway()
            }
        }
        #expect(try names().isEmpty)
    }

    @Test func aFailedRenameLeavesNothing() throws {
        // The destination is a non-empty directory: rename(2) fails after the bytes are written.
        try scratch.write([1], to: "taken/inside")
        let writer = try AtomicFileWriter(path: scratch.path("taken"))
        try writer.write(Data("new".utf8))
        #expect(throws: AtomicFileError.self) { try writer.commit() }
        #expect(try names() == ["taken"])
    }

    @Test func aFullDeviceIsAnErrorAndIsNeverRenamedOver() throws {
        #expect(AtomicFileWriter.isWrittenInPlace("/dev/full") && AtomicFileWriter.isWrittenInPlace("/dev/stdout"))
        #expect(!AtomicFileWriter.isWrittenInPlace(scratch.path("absent")))
        #expect(throws: AtomicFileError.cannotWrite(path: "/dev/full", reason: "No space left on device")) {
            try AtomicFileWriter.write(Data("x".utf8), to: "/dev/full")
        }
        try AtomicFileWriter.write(Data("x".utf8), to: "/dev/null")
        var status = stat()
        #expect(stat("/dev/null", &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR)
    }

    @Test func aFIFOIsWrittenStraightTo() throws {
        let fifo = scratch.path("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let received = LockedBox()
        let reader = Thread { received.set(FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()) }
        reader.start()
        try AtomicFileWriter.write(Data("through the pipe".utf8), to: fifo)
        while received.get() == nil { usleep(1000) }
        #expect(received.get() == Data("through the pipe".utf8))
        #expect(try names() == ["pipe"])
    }

    @Test func oneFileHasOneIdentityHoweverItIsSpelled() throws {
        let file = try scratch.write(Array("input".utf8), to: "dir/input.txt")
        #expect(symlink(file, scratch.path("link.txt")) == 0)
        #expect(link(file, scratch.path("hard.txt")) == 0)
        var inputs = InputFiles()
        inputs.add(directory: scratch.path("dir"), reading: ["input.txt", "absent.json"])
        for spelling in [file, scratch.path("dir/./input.txt"), scratch.path("dir/../dir/input.txt"),
                         scratch.path("link.txt"), scratch.path("hard.txt")] {
            #expect(inputs.input(replacedBy: spelling) == scratch.path("dir/input.txt"), "\(spelling)")
        }
        #expect(inputs.input(replacedBy: scratch.path("dir")) == scratch.path("dir"))
        #expect(inputs.input(replacedBy: scratch.path("dir/absent.json")) == nil)
        try scratch.write([1], to: "other.txt")
        #expect(inputs.input(replacedBy: scratch.path("other.txt")) == nil)
        #expect(FileIdentity(path: scratch.path("link.txt")) == FileIdentity(path: file))
    }

    @Test func jsonLinesAreValidWhateverTheNumbers() throws {
        let line = JSONValue.object([("weights", .array([.float(0.6704801), .float(.nan), .float(-.infinity), .float(1)])),
                                     ("name", .string("a\u{1B}b")), ("empty", .object([]))]).renderedOnOneLine()
        #expect(line == #"{"weights": [0.6704801, null, null, 1.0], "name": "a\u001bb", "empty": {}}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(line.utf8)) is [String: Any])
    }
}

private final class LockedBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data? { lock.lock(); defer { lock.unlock() }; return data }
}
