import Foundation
import MoLACheckpoint
import MoLAFiles

/// What a run needs beyond its parameters to continue exactly where it stopped: the step, the
/// data position, the optimizer's moments and the dropout generators.
///
/// Saved beside the checkpoint as `trainer_state.json` (counters, data order, a fingerprint of
/// the configuration) and `trainer_state.safetensors` (the moments), each written atomically.
public struct TrainingState: Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    public var queue: [Int]
    public var optimizerStep: Int
    public var firstMoment: [Float]
    public var secondMoment: [Float]
    public var randomStates: [UInt64]
    /// A checksum of the parameters this state goes with (they are saved in another file; a run
    /// killed between the two writes must not resume from a mismatched pair).
    public var parameterChecksum: UInt64 = 0

    public static let jsonName = "trainer_state.json"
    public static let momentsName = "trainer_state.safetensors"

    /// Writes both files into `directory`; `fingerprint` describes the configuration.
    public func save(to directory: String, fingerprint: String) throws {
        let url = URL(fileURLWithPath: directory)
        try SafetensorsWriter.write([.init(name: "first_moment", shape: [firstMoment.count], values: firstMoment),
                                     .init(name: "second_moment", shape: [secondMoment.count], values: secondMoment)],
                                    to: url.appendingPathComponent(Self.momentsName).path)
        let counters = Counters(step: step, epoch: epoch, queue: queue, optimizerStep: optimizerStep,
                                randomStates: randomStates.map { String($0) }, fingerprint: fingerprint,
                                parameterChecksum: String(parameterChecksum))
        try JSONDocument.write(counters, to: url.appendingPathComponent(Self.jsonName).path)
    }

    /// Reads the state saved in `directory`; the configuration must have the same fingerprint.
    public static func load(from directory: String, fingerprint: String) throws -> TrainingState {
        let url = URL(fileURLWithPath: directory)
        let path = url.appendingPathComponent(jsonName).path
        guard FileManager.default.fileExists(atPath: path) else { throw TrainingStateError.unreadable(path: path) }
        let counters = try JSONDocument.read(Counters.self, from: path)
        let randomStates = counters.randomStates.compactMap(UInt64.init)
        guard randomStates.count == counters.randomStates.count else {
            throw JSONDocumentError.invalidField(file: path, field: "random_states", expected: "unsigned 64-bit integers written as strings")
        }
        guard let checksum = UInt64(counters.parameterChecksum) else {
            throw JSONDocumentError.invalidField(file: path, field: "parameter_checksum", expected: "an unsigned 64-bit integer written as a string")
        }
        guard counters.fingerprint == fingerprint else {
            throw TrainingStateError.differentConfiguration(path: path, saved: counters.fingerprint, current: fingerprint)
        }
        let moments = try SafetensorsFile(path: url.appendingPathComponent(momentsName).path)
        return TrainingState(step: counters.step, epoch: counters.epoch, queue: counters.queue, optimizerStep: counters.optimizerStep,
                             firstMoment: try moments.record(named: "first_moment").doubles().map { Float($0) },
                             secondMoment: try moments.record(named: "second_moment").doubles().map { Float($0) },
                             randomStates: randomStates, parameterChecksum: checksum)
    }

    /// `trainer_state.json`: the counters, the data order and what the state belongs to. The
    /// generator states and the checksum are 64-bit, so they are written as strings (JSON readers
    /// keep 53 bits of a number).
    struct Counters: Codable {
        var step: Int
        var epoch: Int
        var queue: [Int]
        var optimizerStep: Int
        var randomStates: [String]
        var fingerprint: String
        var parameterChecksum: String

        enum CodingKeys: String, CodingKey {
            case step, epoch, queue, optimizerStep = "optimizer_step", randomStates = "random_states", fingerprint
            case parameterChecksum = "parameter_checksum"
        }
    }

    /// FNV-1a over the parameters' bit patterns.
    public static func checksum(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in values {
            hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// A saved training state that cannot be used.
public enum TrainingStateError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case differentConfiguration(path: String, saved: String, current: String)
    case parametersDoNotMatch(path: String)

    public var description: String {
        switch self {
        case let .unreadable(path): "no usable training state to resume from (\(path))"
        case let .differentConfiguration(path, saved, current):
            "the run to resume used a different configuration: saved \(saved), now \(current) (\(path))"
        case let .parametersDoNotMatch(path):
            "the saved parameters are not the ones the training state goes with (interrupted while saving?) (\(path))"
        }
    }
}
