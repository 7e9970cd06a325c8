// The input-file and memory-budget rules every reader relies on: special files refused by
// kind, sizes refused before reading, budgets that say how much was asked for.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing

@Suite final class ResourceLimitTests {
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

    @Test func aBudgetSaysWhatWasAskedAndWhatThereIs() throws {
        try MemoryBudget.require(bytes: 1 << 20, for: "a small buffer")
        let machine = MemoryBudget.machineBytes
        #expect(machine > 1 << 26)
        #expect(throws: MemoryBudgetError.exceedsMachine(purpose: "the values of w", needed: 1 << 37, available: machine)) {
            try MemoryBudget.require(elements: 1 << 34, of: 8, for: "the values of w")
        }
        #expect(MemoryBudgetError.exceedsMachine(purpose: "the values of w", needed: 1 << 37, available: 24 << 30).description
                == "the values of w would need 128 GiB of memory; this machine has 24 GiB")
        // Overflow is "too much", never a wrapped small number.
        #expect(MemoryBudget.bytes(elements: Int.max / 2, of: 8) == .max)
        #expect(MemoryBudget.product([1 << 40, 1 << 40]) == .max)
        #expect(MemoryBudget.product([0, Int.max, 3]) == 0)
        #expect(MemoryBudget.sum([Int.max, 1]) == .max)
        #expect(throws: MemoryBudgetError.self) { try MemoryBudget.require(elements: Int.max, of: 2, for: "x") }
    }

    @Test func byteCountsReadAsPeopleWriteThem() {
        #expect(ByteCount(1).description == "1 byte")
        #expect(ByteCount(512).description == "512 bytes")
        #expect(ByteCount(3_355_443).description == "3.2 MiB")
        #expect(ByteCount(1 << 30).description == "1 GiB")
        #expect(ByteCount(200 << 30).description == "200 GiB")
    }
}
