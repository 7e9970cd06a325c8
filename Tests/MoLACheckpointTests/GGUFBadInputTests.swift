// Every GGUFError of the reader on a small malformed file built field by field (GGUFBytes).
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite struct GGUFBadInputTests {
    /// A valid file: `general.architecture = llama`, one F32 tensor `w` of 2 x 1.
    static func valid() -> GGUFBytes {
        var gguf = GGUFBytes()
        gguf.add(key: "general.architecture", type: 8, value: GGUFBytes.string("llama"))
        gguf.addFloat32("w", dimensions: [2, 1], values: [1, 2])
        return gguf
    }

    /// Opens `bytes` from a scratch file and returns the error, with the file's path.
    static func error(_ bytes: [UInt8]) throws -> (GGUFError?, String) {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try scratch.write(bytes, to: "model.gguf")
        do {
            _ = try GGUFFile(path: path)
            return (nil, path)
        } catch let error as GGUFError {
            return (error, path)
        }
    }

    /// The bytes of the header up to the first metadata key: magic, version, both counts.
    static let headerSize = 4 + 4 + 8 + 8

    @Test func validFileOpens() throws {
        let (error, _) = try Self.error(Self.valid().bytes())
        #expect(error == nil)
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try GGUFFile(path: scratch.write(Self.valid().bytes(), to: "model.gguf"))
        #expect(try file.floats(named: "w") == [1, 2])
    }

    @Test func truncatedEverywhereIsRefused() throws {
        let bytes = Self.valid().bytes()
        // Cut inside the header, the metadata and the tensor infos: truncated; inside the data: past the end.
        for length in [0, 3, 7, 15, Self.headerSize + 8 + 20 + 2, Self.headerSize + 8 + 20 + 4 + 4, bytes.count - 40] {
            let (error, path) = try Self.error(Array(bytes.prefix(length)))
            guard case let .truncated(file, offset, _) = error else {
                Issue.record("\(length) bytes: \(String(describing: error))")
                continue
            }
            #expect(file == path && offset == length)
        }
        // Cut where the counts are bigger than what is left: those are refused first.
        var (error, path) = try Self.error(Array(bytes.prefix(20)))
        #expect(error == .countTooLarge(file: path, offset: 8, what: "tensor", count: 1))
        (error, path) = try Self.error(Array(bytes.dropLast(1)))
        #expect(error == .tensorPastEnd(file: path, tensor: "w", end: UInt64(bytes.count), fileSize: bytes.count - 1))
    }

    @Test func badMagicAndVersions() throws {
        var gguf = Self.valid()
        gguf.magic = Array("GGUG".utf8)
        var (error, path) = try Self.error(gguf.bytes())
        #expect(error == .badMagic(file: path, found: Array("GGUG".utf8)))
        for version: UInt32 in [1, 4, 0x0300_0000] {
            gguf = Self.valid()
            gguf.version = version
            (error, path) = try Self.error(gguf.bytes())
            #expect(error == .unsupportedVersion(file: path, version: version))
        }
        gguf = Self.valid()
        gguf.version = 2
        (error, _) = try Self.error(gguf.bytes())
        #expect(error == nil)
    }

    @Test func countsThatCannotFit() throws {
        var gguf = Self.valid()
        gguf.tensorCount = 1 << 62
        var (error, path) = try Self.error(gguf.bytes())
        #expect(error == .countTooLarge(file: path, offset: 8, what: "tensor", count: 1 << 62))
        gguf = Self.valid()
        gguf.keyValueCount = UInt64.max
        (error, path) = try Self.error(gguf.bytes())
        #expect(error == .countTooLarge(file: path, offset: 16, what: "key/value", count: UInt64.max))
    }

    @Test func stringsClaimingMoreThanTheFile() throws {
        var gguf = Self.valid()
        gguf.add(key: "huge", type: 8, value: GGUFBytes.le(UInt64(1) << 63))
        var (error, path) = try Self.error(gguf.bytes())
        guard case let .stringPastEnd(file, _, length) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(file == path && length == 1 << 63)
        // A key's length too.
        gguf = Self.valid()
        gguf.metadata[0].key = []
        var bytes = gguf.bytes()
        bytes.replaceSubrange(Self.headerSize..<(Self.headerSize + 8), with: GGUFBytes.le(UInt64.max))
        (error, path) = try Self.error(bytes)
        #expect(error == .stringPastEnd(file: path, offset: Self.headerSize, length: UInt64.max))
    }

    @Test func nonUTF8KeysValuesAndNames() throws {
        var gguf = Self.valid()
        gguf.metadata[0].key = [0x67, 0xFF, 0x6B]
        var (error, path) = try Self.error(gguf.bytes())
        #expect(error == .invalidUTF8(file: path, offset: Self.headerSize, what: "a metadata key"))
        gguf = Self.valid()
        gguf.metadata[0].value = GGUFBytes.string([0xC3, 0x28])
        (error, path) = try Self.error(gguf.bytes())
        guard case let .invalidUTF8(_, _, what) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(what == "the value of general.architecture")
        gguf = Self.valid()
        gguf.tensors[0].name = [0xED, 0xA0, 0x80]  // an encoded surrogate
        (error, path) = try Self.error(gguf.bytes())
        guard case .invalidUTF8(_, _, "a tensor name") = error else { Issue.record("\(String(describing: error))"); return }
    }

    @Test func keysEmptyTwiceOrOfUnknownType() throws {
        var gguf = Self.valid()
        gguf.metadata[0].key = []
        var (error, path) = try Self.error(gguf.bytes())
        #expect(error == .emptyKey(file: path, offset: Self.headerSize))
        gguf = Self.valid()
        gguf.add(key: "general.architecture", type: 4, value: GGUFBytes.le(UInt32(1)))
        (error, path) = try Self.error(gguf.bytes())
        guard case .duplicateKey(_, "general.architecture", _) = error else { Issue.record("\(String(describing: error))"); return }
        gguf = Self.valid()
        gguf.add(key: "odd", type: 13, value: [])
        (error, path) = try Self.error(gguf.bytes())
        guard case .unknownValueType(_, "odd", _, 13) = error else { Issue.record("\(String(describing: error))"); return }
    }

    @Test func arraysThatCannotFitOrNestTooDeep() throws {
        var gguf = Self.valid()
        gguf.add(key: "big", type: 9, value: GGUFBytes.le(UInt32(6)) + GGUFBytes.le(UInt64(1) << 40))
        var (error, path) = try Self.error(gguf.bytes())
        guard case .arrayPastEnd(path, "big", _, 1 << 40) = error else { Issue.record("\(String(describing: error))"); return }
        // Strings take at least their 8-byte length: 1000 of them cannot fit in a few hundred bytes.
        gguf = Self.valid()
        gguf.add(key: "tokens", type: 9, value: GGUFBytes.le(UInt32(8)) + GGUFBytes.le(UInt64(1000)))
        (error, path) = try Self.error(gguf.bytes())
        guard case .arrayPastEnd(path, "tokens", _, 1000) = error else { Issue.record("\(String(describing: error))"); return }
        // Nine arrays deep, each holding one array.
        var nested: [UInt8] = GGUFBytes.le(UInt32(4)) + GGUFBytes.le(UInt64(0))
        for _ in 0..<9 { nested = GGUFBytes.le(UInt32(9)) + GGUFBytes.le(UInt64(1)) + nested }
        gguf = Self.valid()
        gguf.add(key: "deep", type: 9, value: Array(nested.dropFirst(4 + 8)))
        (error, path) = try Self.error(gguf.bytes())
        guard case .arrayNestingTooDeep(path, "deep", _) = error else { Issue.record("\(String(describing: error))"); return }
        // Eight deep is read.
        gguf = Self.valid()
        gguf.add(key: "deep", type: 9, value: Array(nested.dropFirst(2 * (4 + 8))))
        (error, _) = try Self.error(gguf.bytes())
        #expect(error == nil)
    }

    @Test func alignmentRules() throws {
        var gguf = Self.valid()
        gguf.add(key: "general.alignment", type: 5, value: GGUFBytes.le(Int32(32)))
        var (error, path) = try Self.error(gguf.bytes())
        #expect(error == .alignmentNotUInt32(file: path, found: "i32"))
        for alignment: UInt32 in [0, 48] {
            gguf = Self.valid()
            gguf.add(key: "general.alignment", type: 4, value: GGUFBytes.le(alignment))
            (error, path) = try Self.error(gguf.bytes())
            #expect(error == .invalidAlignment(file: path, alignment: alignment))
        }
        // A valid alignment other than 32 moves the data section.
        gguf = GGUFBytes()
        gguf.alignment = 64
        gguf.add(key: "general.alignment", type: 4, value: GGUFBytes.le(UInt32(64)))
        gguf.addFloat32("a", dimensions: [3], values: [1, 2, 3])
        gguf.addFloat32("b", dimensions: [1], values: [4])
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = try GGUFFile(path: scratch.write(gguf.bytes(), to: "aligned.gguf"))
        #expect(file.alignment == 64 && file.dataOffset % 64 == 0)
        #expect(try file.floats(named: "b") == [4])
    }

    @Test func tensorInfoRules() throws {
        var gguf = Self.valid()
        gguf.tensors[0].name = Array(String(repeating: "n", count: 64).utf8)
        var (error, path) = try Self.error(gguf.bytes())
        guard case .tensorNameTooLong = error else { Issue.record("\(String(describing: error))"); return }
        gguf = Self.valid()
        gguf.addFloat32("w", dimensions: [1], values: [3])
        (error, path) = try Self.error(gguf.bytes())
        guard case .duplicateTensor(path, "w", _) = error else { Issue.record("\(String(describing: error))"); return }
        gguf = Self.valid()
        gguf.tensors[0].dimensions = [2, 1, 1, 1, 1]
        (error, path) = try Self.error(gguf.bytes())
        guard case .tooManyDimensions(path, "w", _, 5) = error else { Issue.record("\(String(describing: error))"); return }
        for dimensions: [UInt64] in [[1 << 40, 1 << 40], [UInt64(1) << 63], [1 << 62, 2]] {
            gguf = Self.valid()
            gguf.tensors[0].dimensions = dimensions
            (error, path) = try Self.error(gguf.bytes())
            #expect(error == .shapeOverflow(file: path, tensor: "w", dimensions: dimensions))
        }
        for type: UInt32 in [4, 31, 99] {
            gguf = Self.valid()
            gguf.tensors[0].type = type
            (error, path) = try Self.error(gguf.bytes())
            guard case .unknownTensorType(path, "w", _, type) = error else { Issue.record("\(String(describing: error))"); return }
        }
        gguf = Self.valid()
        gguf.tensors[0].type = GGUFTensorType.q4_0.rawValue
        gguf.tensors[0].dimensions = [16, 2]
        (error, path) = try Self.error(gguf.bytes())
        #expect(error == .rowNotWholeBlocks(file: path, tensor: "w", type: "Q4_0", rowLength: 16, blockSize: 32))
    }

    @Test func tensorPlacement() throws {
        var gguf = Self.valid()
        gguf.tensors[0].offset = 4
        var (error, path) = try Self.error(gguf.bytes())
        #expect(error == .misalignedTensor(file: path, tensor: "w", offset: 4, alignment: 32))
        gguf = Self.valid()
        gguf.tensors[0].offset = 64
        gguf.data += [UInt8](repeating: 0, count: 64)
        (error, path) = try Self.error(gguf.bytes())
        #expect(error == .unexpectedTensorOffset(file: path, tensor: "w", offset: 64, expected: 0))
        // Overlapping: the second tensor at the first one's offset.
        gguf = Self.valid()
        gguf.addFloat32("v", dimensions: [1], values: [5])
        gguf.tensors[1].offset = 0
        (error, path) = try Self.error(gguf.bytes())
        #expect(error == .unexpectedTensorOffset(file: path, tensor: "v", offset: 0, expected: 32))
        // Far past the end.
        gguf = Self.valid()
        gguf.tensors[0].dimensions = [1 << 40]
        (error, path) = try Self.error(gguf.bytes())
        guard case .tensorPastEnd(path, "w", _, _) = error else { Issue.record("\(String(describing: error))"); return }
    }
}
