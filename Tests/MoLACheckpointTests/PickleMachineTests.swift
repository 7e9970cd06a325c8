// The restricted pickle machine: state-dict opcodes work, dangerous globals are refused before
// anything happens, and malformed streams fail with their exact error.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite struct PickleMachineTests {
    private func load(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { try PickleMachine.load($0, source: "test.pkl") }
    }

    @Test func buildsAStateDictOfTensorReferences() throws {
        let bytes = stateDictPickle([("w", "0", 6, 2, [2, 2], [1, 2])])
        guard case let .dict(dict) = try load(bytes), case let .tensor(tensor) = dict.entries.first?.value else {
            Issue.record("not a dict of tensors")
            return
        }
        #expect(dict.keys == [.string("w")])
        #expect(tensor.storage.key == "0")
        #expect(tensor.storage.elementCount == 6)
        #expect(tensor.storage.elementType.storageName == "FloatStorage")
        #expect(tensor.storageOffset == 2)
        #expect(tensor.shape == [2, 2])
        #expect(tensor.strides == [1, 2])
    }

    @Test func memoAndIntegerOpcodes() throws {
        // PROTO 4, EMPTY_LIST, MEMOIZE, MARK, BININT1 5, BININT2 300, LONG1 -2, APPENDS,
        // BINGET 0 (the same list), TUPLE2, STOP
        let bytes: [UInt8] = [0x80, 0x04, 0x5D, 0x94, 0x28, 0x4B, 5, 0x4D, 0x2C, 0x01, 0x8A, 1, 0xFE, 0x65, 0x68, 0, 0x86, 0x2E]
        guard case let .tuple(tuple) = try load(bytes), case let .list(first) = tuple.items[0], case let .list(second) = tuple.items[1] else {
            Issue.record("not a tuple of two lists")
            return
        }
        #expect(first === second)
        let values = first.items.compactMap { if case let .int(v) = $0 { v } else { nil } }
        #expect(values == [5, 300, -2])
    }

    @Test func refusesOsSystem() throws {
        // What pickle.dumps of an object whose __reduce__ returns (os.system, ("echo pwned",)) is.
        var bytes: [UInt8] = [0x80, 0x02]
        bytes += Array("cposix\nsystem\n".utf8)
        bytes += [0x58, 10, 0, 0, 0] + Array("echo pwned".utf8) + [0x85, 0x52, 0x2E]
        #expect(throws: PickleError.disallowedGlobal(source: "test.pkl", module: "posix", name: "system", offset: 2)) {
            try load(bytes)
        }
        var osBytes: [UInt8] = [0x80, 0x02]
        osBytes += Array("cos\nsystem\n".utf8) + [0x2E]
        #expect(throws: PickleError.disallowedGlobal(source: "test.pkl", module: "os", name: "system", offset: 2)) {
            try load(osBytes)
        }
    }

    @Test func refusesBuiltinsEvalThroughStackGlobal() throws {
        // Protocol 4 spelling: SHORT_BINUNICODE "builtins", SHORT_BINUNICODE "eval", STACK_GLOBAL.
        var bytes: [UInt8] = [0x80, 0x04, 0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8) + [0x93]
        bytes += [0x8C, 1] + Array("1".utf8) + [0x85, 0x52, 0x2E]
        #expect(throws: PickleError.disallowedGlobal(source: "test.pkl", module: "builtins", name: "eval", offset: 18)) {
            try load(bytes)
        }
    }

    @Test func stackUnderflow() throws {
        #expect(throws: PickleError.stackUnderflow(source: "test.pkl", opcode: 0x86, offset: 2)) {
            try load([0x80, 0x02, 0x86, 0x2E])  // TUPLE2 on an empty stack
        }
        // Values below a MARK cannot be popped by an opcode inside it.
        #expect(throws: PickleError.stackUnderflow(source: "test.pkl", opcode: 0x85, offset: 4)) {
            try load([0x80, 0x02, 0x4E, 0x28, 0x85, 0x2E])  // NONE, MARK, TUPLE1
        }
    }

    @Test func memoReadOfAMissingSlot() throws {
        #expect(throws: PickleError.missingMemo(source: "test.pkl", index: 3, offset: 2)) {
            try load([0x80, 0x02, 0x68, 3, 0x2E])  // BINGET 3
        }
    }

    @Test func missingMark() throws {
        #expect(throws: PickleError.missingMark(source: "test.pkl", opcode: 0x74, offset: 2)) {
            try load([0x80, 0x02, 0x74, 0x2E])  // TUPLE without MARK
        }
    }

    @Test func unexpectedEnd() throws {
        #expect(throws: PickleError.unexpectedEnd(source: "test.pkl", offset: 2)) {
            try load([0x80, 0x02, 0x58, 0xFF, 0xFF, 0, 0, 0x41])  // BINUNICODE longer than the pickle
        }
        #expect(throws: PickleError.unexpectedEnd(source: "test.pkl", offset: 3)) {
            try load([0x80, 0x02, 0x4E])  // no STOP
        }
    }

    @Test func unsupportedOpcodeAndProtocol() throws {
        #expect(throws: PickleError.unsupportedOpcode(source: "test.pkl", opcode: 0x69, offset: 2)) {
            try load([0x80, 0x02, 0x69, 0x2E])  // INST (protocol 0 class instantiation)
        }
        #expect(throws: PickleError.unsupportedProtocol(source: "test.pkl", version: 9)) {
            try load([0x80, 0x09, 0x2E])
        }
    }

    @Test func reduceOfANonCallable() throws {
        // NONE, EMPTY_TUPLE, REDUCE
        #expect(throws: PickleError.notCallable(source: "test.pkl", kind: "None", offset: 4)) {
            try load([0x80, 0x02, 0x4E, 0x29, 0x52, 0x2E])
        }
    }

    @Test func persistentIDThatIsNotAStorage() throws {
        var bytes: [UInt8] = [0x80, 0x02, 0x8C, 4] + Array("evil".utf8) + [0x85]
        bytes += [0x51, 0x2E]  // BINPERSID
        #expect(throws: PickleError.invalidPersistentID(source: "test.pkl", offset: 9)) { try load(bytes) }
    }

    @Test func integersPastSixtyFourBits() throws {
        #expect(throws: PickleError.integerTooLarge(source: "test.pkl", offset: 2)) {
            try load([0x80, 0x02, 0x8A, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x2E])
        }
    }

    /// Cut a valid state-dict pickle at every byte: always the unexpected-end error, at an offset
    /// inside the cut, never a crash or another error.
    @Test func truncatedAtEveryPoint() throws {
        let bytes = stateDictPickle([("w", "0", 4, 0, [2, 2], [2, 1])])
        for length in 0..<bytes.count {
            do {
                _ = try load(Array(bytes[..<length]))
                Issue.record("cut at \(length): read without error")
            } catch PickleError.unexpectedEnd(let source, let offset) {
                #expect(source == "test.pkl" && offset <= length, "cut at \(length): offset \(offset)")
            } catch {
                Issue.record("cut at \(length): \(error)")
            }
        }
    }
}
