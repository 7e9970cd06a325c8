// The input-file rules every reader relies on: special files refused by kind, sizes refused
// before anything is read.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing

@Suite final class InputFileTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    @Test func readsARegularFileWithinItsLimit() throws {
        let path = try scratch.write(Array("hello".utf8), to: "a.txt")
        #expect(try InputFile.contents(of: path, limit: 5) == Data("hello".utf8))
        #expect(throws: InputFileError.tooLarge(path: path, size: 5, limit: 4)) { try InputFile.contents(of: path, limit: 4) }
    }

    @Test func refusesWhatIsNotARegularFileByKind() throws {
        let pipe = scratch.path("pipe")
        #expect(mkfifo(pipe, 0o600) == 0)
        // A FIFO without a writer: a blocking open would never return.
        #expect(throws: InputFileError.notARegularFile(path: pipe, kind: "a named pipe")) { try InputFile.contents(of: pipe, limit: 1) }
        #expect(throws: InputFileError.notARegularFile(path: scratch.url.path, kind: "a directory")) {
            try InputFile.contents(of: self.scratch.url.path, limit: 1)
        }
        #expect(throws: InputFileError.notARegularFile(path: "/dev/zero", kind: "a character device")) {
            try InputFile.contents(of: "/dev/zero", limit: 1)
        }
        #expect(throws: InputFileError.cannotOpen(path: scratch.path("absent"), reason: "No such file or directory")) {
            try InputFile.contents(of: self.scratch.path("absent"), limit: 1)
        }
    }
}
