// Opening a checkpoint as a user points at it: a directory or a file, its config and sidecar,
// and where top-K and alpha come from.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing
@testable import MoLACheckpoint

@Suite final class CheckpointTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func directory(sidecar: String? = nil, config: Bool = true) throws -> String {
        let path = try writeTinyCheckpoint(in: scratch, name: "c", experts: [2, 4])
        if !config { try FileManager.default.removeItem(atPath: scratch.path("c/adapter_config.json")) }
        if let sidecar { try scratch.write(Array(sidecar.utf8), to: "c/mola_config.json") }
        return path
    }

    @Test func topKFromFlagThenSidecarThenDefault() throws {
        let plain = try Checkpoint(path: try directory())
        #expect(try plain.topK(requested: nil).perLayer == [2, 2])
        #expect(try plain.topK(requested: nil).source == .referenceDefault)
        #expect(try plain.topK(requested: 1).perLayer == [1, 1])
        #expect(try plain.topK(requested: 1).source == .caller)
        let withSidecar = try Checkpoint(path: try directory(sidecar: #"{"experts_per_layer": [2, 4], "top_k": [1, 3]}"#))
        #expect(try withSidecar.topK(requested: nil).perLayer == [1, 3])
        #expect(try withSidecar.topK(requested: nil).source == .sidecar)
        #expect(try withSidecar.topK(requested: 2).perLayer == [2, 2])
        #expect(try withSidecar.topK(requested: 2).source == .caller)
    }

    @Test func aRecordedTopKListOfTheWrongLengthIsRefusedUnlessTheCallerChooses() throws {
        let short = try Checkpoint(path: try directory(sidecar: #"{"experts_per_layer": [2, 4], "top_k": [1]}"#))
        #expect(throws: TopKError.recordedLayerCount(count: 1, layers: 2)) { try short.topK(requested: nil) }
        #expect(try short.topK(requested: 2).perLayer == [2, 2])
    }

    @Test func singleExpertLayersHaveTopKOne() throws {
        let path = try writeTinyCheckpoint(in: scratch, name: "mixed", experts: [1, 3])
        let checkpoint = try Checkpoint(path: path)
        #expect(try checkpoint.topK(requested: nil).perLayer == [1, 2])
        #expect(try checkpoint.topK(requested: 2).perLayer == [1, 2])
        #expect(throws: TopKError.exceedsExperts(layer: 1, topK: 4, experts: 3, source: .caller)) { try checkpoint.topK(requested: 4) }
    }

    @Test func sidecarThatContradictsTheTensors() throws {
        let path = try directory(sidecar: #"{"experts_per_layer": [2, 5]}"#)
        #expect(throws: CheckpointError.sidecarDisagrees(file: scratch.path("c/mola_config.json"), sidecar: [2, 5], tensors: [2, 4])) {
            try Checkpoint(path: path)
        }
    }

    @Test func alphaDefaultsWhenThereIsNoConfig() throws {
        let checkpoint = try Checkpoint(path: try directory(config: false))
        #expect(checkpoint.adapter.alpha == 16)
        #expect(checkpoint.alphaSource.hasPrefix("reference default"))
        // The file itself works as well as its directory.
        #expect(try Checkpoint(path: scratch.path("c/adapter_model.safetensors")).adapter.layers.count == 2)
    }

    @Test func pathsThatAreNotCheckpoints() throws {
        #expect(throws: CheckpointError.notFound(path: scratch.path("nothing"))) { try Checkpoint(path: scratch.path("nothing")) }
        try FileManager.default.createDirectory(atPath: scratch.path("empty"), withIntermediateDirectories: true)
        #expect(throws: CheckpointError.noTensorFile(directory: scratch.path("empty"), lookedFor: Checkpoint.tensorFileNames)) {
            try Checkpoint(path: scratch.path("empty"))
        }
        let text = try scratch.write(Array("hello, world".utf8), to: "notes.txt")
        #expect(throws: TensorFileError.unrecognisedFormat(file: text)) { try Checkpoint(path: text) }
    }
}

@Suite final class SmallErrorTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    @Test func sidecarWithAnInvalidTopK() throws {
        let path = try scratch.write(Array(#"{"top_k": "two"}"#.utf8), to: "mola_config.json")
        #expect(throws: JSONDocumentError.invalidField(file: path, field: "top_k", expected: "a positive integer or a list of them")) {
            try MoLASidecar(path: path)
        }
    }

    @Test func askingForATensorTheFileLacks() throws {
        let path = try scratch.write(safetensorsBytes(tensors: [("a", [1], [1])]), to: "t.safetensors")
        #expect(throws: TensorFileError.noSuchTensor(file: path, tensor: "b")) { try openTensorFile(path: path).record(named: "b") }
    }
}
