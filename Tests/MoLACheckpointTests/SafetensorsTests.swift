// Malformed safetensors files, one per rule of the format, each asserting its exact error.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite final class SafetensorsTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func expectError(_ bytes: [UInt8], _ expected: (String) -> SafetensorsError,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try scratch.write(bytes, to: "t.safetensors")
        #expect(throws: expected(path), sourceLocation: sourceLocation) { try SafetensorsFile(path: path) }
    }

    @Test func readsF32F16AndBF16Exactly() throws {
        var buffer = ByteWriter()
        buffer.float32([1.5, -2.25])
        buffer.uint16(0x3C00); buffer.uint16(0xC000); buffer.uint16(0x0001)  // F16: 1, -2, smallest subnormal
        buffer.uint16(0x3F80); buffer.uint16(0xBFC0)  // BF16: 1, -1.5
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]},"c":{"dtype":"BF16","shape":[2],"data_offsets":[14,18]},"__metadata__":{"format":"pt"}}"#
        let path = try scratch.write(safetensorsBytes(header: header, buffer: buffer.bytes), to: "ok.safetensors")
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.records.map(\.name) == ["a", "b", "c"])
        #expect(try file.record(named: "a").doubles() == [1.5, -2.25])
        #expect(try file.record(named: "b").doubles() == [1, -2, 0x1p-24])
        #expect(try file.record(named: "c").doubles() == [1, -1.5])
    }

    @Test func zeroSizedTensorsAndEmptyFilesAreValid() throws {
        let header = #"{"empty":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},"one":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        var buffer = ByteWriter(); buffer.float32([7])
        let path = try scratch.write(safetensorsBytes(header: header, buffer: buffer.bytes), to: "z.safetensors")
        let file = try SafetensorsFile(path: path)
        #expect(try file.record(named: "empty").doubles() == [])
        #expect(try file.record(named: "one").doubles() == [7])
    }

    @Test func fileTooSmall() throws {
        try expectError([1, 2, 3]) { .fileTooSmall(file: $0, size: 3) }
    }

    @Test func headerTooLarge() throws {
        var writer = ByteWriter(); writer.uint64(200_000_000)
        try expectError(writer.bytes) { .headerTooLarge(file: $0, declared: 200_000_000) }
    }

    @Test func headerLengthPastTheEnd() throws {
        var writer = ByteWriter(); writer.uint64(100); writer.append("{}")
        try expectError(writer.bytes) { .headerPastEnd(file: $0, declared: 100, fileSize: 10) }
    }

    @Test func badJSON() throws {
        let path = try scratch.write(safetensorsBytes(header: "{\"a\": [1, 2", buffer: []), to: "t.safetensors")
        #expect {
            try SafetensorsFile(path: path)
        } throws: { error in
            guard case .invalidJSON(let file, _) = error as? SafetensorsError else { return false }
            return file == path
        }
    }

    @Test func headerNotAnObject() throws {
        try expectError(safetensorsBytes(header: "[1, 2]", buffer: [])) { .headerNotObject(file: $0) }
    }

    @Test func metadataNotStrings() throws {
        try expectError(safetensorsBytes(header: #"{"__metadata__":{"a":1}}"#, buffer: [])) { .invalidMetadata(file: $0) }
    }

    @Test func entryWithoutShape() throws {
        try expectError(safetensorsBytes(header: #"{"t":{"dtype":"F32","data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0])) {
            .invalidEntry(file: $0, tensor: "t", reason: "\"shape\" is not a list of non-negative integers")
        }
    }

    @Test func negativeOrFractionalShape() throws {
        for shape in ["[-1]", "[1.5]", "[\"2\"]"] {
            try expectError(safetensorsBytes(header: #"{"t":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,4]}}"#,
                                             buffer: [0, 0, 0, 0])) {
                .invalidEntry(file: $0, tensor: "t", reason: "\"shape\" is not a list of non-negative integers")
            }
        }
    }

    @Test func unknownDType() throws {
        try expectError(safetensorsBytes(header: #"{"t":{"dtype":"F19","shape":[1],"data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0])) {
            .unknownDType(file: $0, tensor: "t", dtype: "F19")
        }
    }

    @Test func overflowingShape() throws {
        let header = #"{"t":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}"#
        try expectError(safetensorsBytes(header: header, buffer: [0, 0, 0, 0])) {
            .shapeOverflow(file: $0, tensor: "t", shape: [4_294_967_296, 4_294_967_296, 4])
        }
        // The element count fits but the byte length does not.
        let bytesOverflow = #"{"t":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}"#
        try expectError(safetensorsBytes(header: bytesOverflow, buffer: [0, 0, 0, 0])) {
            .shapeOverflow(file: $0, tensor: "t", shape: [2_305_843_009_213_693_952])
        }
    }

    @Test func byteLengthDisagreesWithShape() throws {
        try expectError(safetensorsBytes(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0])) {
            .byteLengthMismatch(file: $0, tensor: "t", expected: 8, found: 4)
        }
    }

    @Test func offsetsEndingBeforeTheyBegin() throws {
        try expectError(safetensorsBytes(header: #"{"t":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, buffer: [0, 0, 0, 0])) {
            .invalidOffsets(file: $0, tensor: "t", begin: 4, end: 0)
        }
    }

    @Test func offsetsOutOfRange() throws {
        try expectError(safetensorsBytes(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, buffer: [0, 0, 0, 0])) {
            .offsetsOutOfRange(file: $0, tensor: "t", end: 8, bufferSize: 4)
        }
    }

    @Test func overlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try expectError(safetensorsBytes(header: header, buffer: Array(repeating: 0, count: 12))) {
            .overlappingTensors(file: $0, first: "a", second: "b", offset: 4)
        }
    }

    @Test func holeBetweenTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        try expectError(safetensorsBytes(header: header, buffer: Array(repeating: 0, count: 12))) {
            .hole(file: $0, begin: 4, end: 8)
        }
    }

    @Test func bytesAfterTheLastTensor() throws {
        try expectError(safetensorsBytes(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                                         buffer: Array(repeating: 0, count: 6))) {
            .hole(file: $0, begin: 4, end: 6)
        }
    }

    /// Cut a valid file at every byte: each prefix fails with the error its cut implies.
    @Test func truncatedAtEveryPoint() throws {
        let bytes = safetensorsBytes(tensors: [("a", [2, 2], [1, 2, 3, 4]), ("b", [3], [5, 6, 7])])
        let headerEnd = 8 + Int(bytes[0])
        for length in 0..<bytes.count {
            let path = try scratch.write(Array(bytes[..<length]), to: "cut.safetensors")
            let expected: SafetensorsError = if length < 8 {
                .fileTooSmall(file: path, size: length)
            } else if length < headerEnd {
                .headerPastEnd(file: path, declared: headerEnd - 8, fileSize: length)
            } else {
                .offsetsOutOfRange(file: path, tensor: length - headerEnd < 16 ? "a" : "b",
                                   end: length - headerEnd < 16 ? 16 : 28, bufferSize: length - headerEnd)
            }
            #expect(throws: expected) { try SafetensorsFile(path: path) }
        }
    }
}
