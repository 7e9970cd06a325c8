// Files built to hurt the readers, each refused with its exact error before anything large is
// allocated or anything blocks: deep and cyclic pickles, views claiming more values than memory
// holds, ZIP records whose two names disagree, special files, adapters with empty matrices.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite final class HostileInputTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func load(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { try PickleMachine.load($0, source: "test.pkl") }
    }

    private func floats(_ values: [Float]) -> [UInt8] {
        var writer = ByteWriter(); writer.float32(values); return writer.bytes
    }

    // MARK: - Pickles

    @Test func nestingDeeperThanTheLimitIsRefusedBeforeItCanOverflowTheStack() throws {
        // EMPTY_TUPLE, then TUPLE1 30,000 times: 30 KB that would nest 30,000 deep.
        let deep: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 30_000) + [0x2E]
        let limit = PickleMachine.maximumDepth
        #expect(throws: PickleError.nestingTooDeep(source: "test.pkl", limit: limit, offset: 3 + limit - 1)) { try self.load(deep) }
        // Exactly at the limit is fine.
        let atLimit: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: limit - 1) + [0x2E]
        #expect(try load(atLimit).depth == limit)
    }

    @Test func listsCannotBeChainedDeepThroughTheMemo() throws {
        // Three empty lists in memo slots 0, 1, 2; then list 1 goes into list 0 (fine), and
        // list 2 into list 1, which is already inside list 0: a chain of any length could be
        // built this way while each list's own depth looked small.
        var bytes: [UInt8] = [0x80, 0x02]
        for slot in 0..<3 { bytes += [0x5D, 0x71, UInt8(slot), 0x30] }  // EMPTY_LIST, BINPUT, POP
        bytes += [0x68, 0, 0x68, 1, 0x61, 0x30]  // BINGET 0, BINGET 1, APPEND, POP
        bytes += [0x68, 1, 0x68, 2, 0x61]  // BINGET 1, BINGET 2, APPEND  <- refused here (offset 24)
        bytes += [0x2E]
        #expect(throws: PickleError.modifiedAfterNesting(source: "test.pkl", kind: "list", offset: 24)) { try self.load(bytes) }
    }

    @Test func aContainerInsideItselfIsRefused() throws {
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND: the list [[...]] that Python would build.
        let list: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E]
        #expect(throws: PickleError.containerInsideItself(source: "test.pkl", kind: "list", offset: 7)) { try self.load(list) }
        // EMPTY_DICT, BINPUT 0, key "k", BINGET 0, SETITEM.
        let dict: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0, 0x8C, 1, 0x6B, 0x68, 0, 0x73, 0x2E]
        #expect(throws: PickleError.containerInsideItself(source: "test.pkl", kind: "dict", offset: 10)) { try self.load(dict) }
    }

    @Test func sharedValuesThroughTheMemoStillLoad() throws {
        // A list memoised, then put in a tuple twice: a DAG, not a cycle.
        let bytes: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0, 0x4B, 7, 0x61, 0x68, 0, 0x86, 0x2E]
        guard case let .tuple(tuple) = try load(bytes), case let .list(first) = tuple.items[0],
              case let .list(second) = tuple.items[1] else {
            Issue.record("not a tuple of two lists")
            return
        }
        #expect(first === second && first.items.count == 1 && tuple.depth == 2)
    }

    // MARK: - torch.save views

    private func archive(_ tensors: [(name: String, key: String, storageCount: Int, offset: Int, shape: [Int], strides: [Int])],
                         storage: [Float]) throws -> (TorchArchive, String) {
        let path = try scratch.write(zipBytes([ZipRecord(name: "archive/data.pkl", data: stateDictPickle(tensors)),
                                               ZipRecord(name: "archive/data/0", data: floats(storage))]), to: "adapter_model.bin")
        return (try TorchArchive(path: path), path)
    }

    @Test func aStrideZeroViewClaimingMoreValuesThanMemoryIsRefusedWhenRead() throws {
        // One stored element viewed as a 2^20 x 2^20 matrix: 8 TiB as doubles.
        let side = 1 << 20
        let (archive, _) = try self.archive([("w", "0", 1, 0, [side, side], [0, 0])], storage: [1])
        let record = try archive.record(named: "w")
        #expect(throws: MemoryError.exceedsMachine(what: "the values of tensor w", needed: side * side * 8,
                                                   available: MemoryBudget.machineBytes, source: nil)) {
            try record.doubles()
        }
    }

    @Test func anAdapterWhoseViewsClaimMoreThanMemoryIsRefusedWhenOpened() throws {
        let side = 1 << 20
        let prefix = "base_model.model.model.layers.0.self_attn.q_proj"
        let (archive, _) = try self.archive([("\(prefix).lora_A_0.weight", "0", 1, 0, [side, side], [0, 0]),
                                             ("\(prefix).lora_B_0.weight", "0", 1, 0, [side, side], [0, 0])], storage: [1])
        #expect(throws: MemoryError.exceedsMachine(what: "tensor \(prefix).lora_A_0.weight (shape [\(side), \(side)])",
                                                   needed: side * side * 8, available: MemoryBudget.machineBytes, source: nil)) {
            try MoLAAdapter(file: archive, config: nil)
        }
    }

    @Test func aHugeStrideOnADimensionOfSizeOneIsHarmless() throws {
        // Shape [2, 1] with stride Int.max on the unit dimension: torch ignores that stride,
        // and stepping over it must not overflow.
        let (archive, _) = try self.archive([("w", "0", 4, 1, [2, 1], [2, Int.max])], storage: [1, 2, 3, 4])
        #expect(try archive.record(named: "w").doubles() == [2, 4])
    }

    @Test func anEmptyViewAtAHugeOffsetIsRefused() throws {
        let (archive, path) = try self.archive([("w", "0", 4, 1 << 60, [0], [1])], storage: [1, 2, 3, 4])
        #expect(throws: TorchArchiveError.offsetPastStorage(file: path, tensor: "w", offset: 1 << 60, available: 4)) {
            try archive.record(named: "w")
        }
        // An empty view just past the end is what torch writes for an empty slice.
        let (fine, _) = try self.archive([("w", "0", 4, 4, [0], [1])], storage: [1, 2, 3, 4])
        #expect(try fine.record(named: "w").doubles() == [])
    }

    @Test func adapterMatricesWithAZeroDimensionAreRefused() throws {
        let prefix = "base_model.model.model.layers.0.self_attn.q_proj"
        let path = try scratch.write(safetensorsBytes(header: """
            {"\(prefix).lora_A_0.weight":{"dtype":"F32","shape":[0,4611686018427387904],"data_offsets":[0,0]},\
            "\(prefix).lora_B_0.weight":{"dtype":"F32","shape":[4,0],"data_offsets":[0,0]}}
            """, buffer: []), to: "adapter_model.safetensors")
        #expect(throws: AdapterError.emptyMatrix(file: path, tensor: "\(prefix).lora_A_0.weight", shape: [0, 1 << 62])) {
            try MoLAAdapter(file: openTensorFile(path: path), config: nil)
        }
    }

    // MARK: - ZIP

    @Test func aLocalHeaderNamingAnotherRecordIsRefused() throws {
        let path = try scratch.write(zipBytes([ZipRecord(name: "archive/data/0", data: [1, 2, 3, 4],
                                                         localName: Array("archive/data/1".utf8))]), to: "a.zip")
        let zip = try ZipArchive(file: MappedFile(path: path))
        #expect(throws: ZipError.localNameMismatch(file: path, name: "archive/data/0", offset: 0)) {
            try zip.storedData(of: zip.entries["archive/data/0"]!)
        }
    }

    @Test func aRecordNameThatIsNotUTF8IsRefused() throws {
        let path = try scratch.write(zipBytes([ZipRecord(name: "x", data: [1], nameBytes: [0x61, 0xFF, 0x62])]), to: "a.zip")
        #expect(throws: ZipError.invalidName(file: path, offset: 34)) { try ZipArchive(file: MappedFile(path: path)) }
    }

    // MARK: - Special files

    @Test func aNamedPipeIsRefusedWithoutWaitingForAWriter() throws {
        let path = scratch.path("pipe.safetensors")
        #expect(mkfifo(path, 0o600) == 0)
        let expected = InputFileError.notARegularFile(path: path, kind: "a named pipe")
        try expectPromptly(expected) { _ = try openTensorFile(path: path) }
        try expectPromptly(expected) { _ = try Checkpoint(path: path) }
        try expectPromptly(expected) { _ = try JSONDocument.read(AdapterConfig.self, from: path) }
    }

    @Test func aDirectoryWhereAFileBelongsIsNamed() throws {
        #expect(throws: InputFileError.notARegularFile(path: scratch.url.path, kind: "a directory")) {
            try openTensorFile(path: self.scratch.url.path)
        }
        #expect(throws: InputFileError.notARegularFile(path: "/dev/null", kind: "a character device")) {
            try openTensorFile(path: "/dev/null")
        }
    }

    /// Runs `body` on another thread and expects it to throw `expected` within 10 seconds
    /// (a reader that blocks fails the test instead of hanging the suite).
    private func expectPromptly(_ expected: InputFileError, _ body: @escaping @Sendable () throws -> Void) throws {
        let finished = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Thread.detachNewThread {
            do { try body() } catch { outcome.error = error }
            finished.signal()
        }
        guard finished.wait(timeout: .now() + 10) == .success else {
            Issue.record("still blocked after 10 s")
            return
        }
        #expect(outcome.error as? InputFileError == expected, "\(String(describing: outcome.error))")
    }
}

private final class Outcome: @unchecked Sendable {
    var error: Error?
}
