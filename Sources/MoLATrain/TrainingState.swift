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
    /// The moments' tensor names in `trainer_state.safetensors`.
    public static let firstMomentName = "first_moment"
    public static let secondMomentName = "second_moment"

    /// Writes both files into `directory`; `fingerprint` describes the configuration.
    public func save(to directory: String, fingerprint: String) throws {
        let url = URL(fileURLWithPath: directory)
        try SafetensorsWriter.write([.init(name: Self.firstMomentName, shape: [firstMoment.count], values: firstMoment),
                                     .init(name: Self.secondMomentName, shape: [secondMoment.count], values: secondMoment)],
                                    to: url.appendingPathComponent(Self.momentsName).path)
        var counters = Counters(step: step, epoch: epoch, queue: queue, optimizerStep: optimizerStep,
                                randomStates: randomStates.map { String($0) }, fingerprint: fingerprint,
                                parameterChecksum: String(parameterChecksum), stateChecksum: "")
        counters.stateChecksum = String(contentsChecksum(fingerprint: fingerprint))
        try JSONDocument.write(counters, to: url.appendingPathComponent(Self.jsonName).path)
    }

    /// FNV-1a over everything the state holds (counters, data order, generator states, the
    /// parameters' checksum, the moments' bit patterns) and the configuration's fingerprint:
    /// saved as `state_checksum`, so a state edited, cut or mixed from two runs is refused.
    func contentsChecksum(fingerprint: String) -> UInt64 {
        var hash = Checksum()
        for value in [step, epoch, optimizerStep, queue.count] + queue { hash.add(UInt64(bitPattern: Int64(value))) }
        for value in randomStates + [parameterChecksum, UInt64(firstMoment.count), UInt64(secondMoment.count)] { hash.add(value) }
        for value in firstMoment + secondMoment { hash.add(UInt64(value.bitPattern)) }
        for byte in fingerprint.utf8 { hash.add(UInt64(byte)) }
        return hash.value
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
        guard let stateChecksum = UInt64(counters.stateChecksum) else {
            throw JSONDocumentError.invalidField(file: path, field: "state_checksum", expected: "an unsigned 64-bit integer written as a string")
        }
        guard counters.fingerprint == fingerprint else {
            throw TrainingStateError.differentConfiguration(path: path, saved: counters.fingerprint, current: fingerprint)
        }
        let moments = try SafetensorsFile(path: url.appendingPathComponent(momentsName).path)
        let state = TrainingState(step: counters.step, epoch: counters.epoch, queue: counters.queue, optimizerStep: counters.optimizerStep,
                                  firstMoment: try moments.record(named: firstMomentName).doubles().map { Float($0) },
                                  secondMoment: try moments.record(named: secondMomentName).doubles().map { Float($0) },
                                  randomStates: randomStates, parameterChecksum: checksum)
        guard state.contentsChecksum(fingerprint: fingerprint) == stateChecksum else {
            throw TrainingStateError.contentsDoNotMatchChecksum(path: path)
        }
        return state
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
        /// `contentsChecksum` of the state this file and the moments file hold.
        var stateChecksum: String

        enum CodingKeys: String, CodingKey {
            case step, epoch, queue, optimizerStep = "optimizer_step", randomStates = "random_states", fingerprint
            case parameterChecksum = "parameter_checksum", stateChecksum = "state_checksum"
        }
    }

    /// FNV-1a over the parameters' bit patterns.
    public static func checksum(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var hash = Checksum()
        for value in values { hash.add(UInt64(value.bitPattern)) }
        return hash.value
    }

    /// FNV-1a, one 64-bit word at a time (as the parameters' checksum has always been taken).
    struct Checksum {
        private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325
        mutating func add(_ word: UInt64) { value = (value ^ word) &* 0x0000_0100_0000_01B3 }
    }
}

/// A saved training state that cannot be used.
public enum TrainingStateError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case differentConfiguration(path: String, saved: String, current: String)
    case parametersDoNotMatch(path: String)
    /// `state_checksum` is not the checksum of the state the files hold (edited, cut, or mixed from two runs).
    case contentsDoNotMatchChecksum(path: String)
    case stepOutOfRange(path: String, step: Int, totalSteps: Int)
    case optimizerStepDiffers(path: String, optimizerStep: Int, step: Int)
    case negativeEpoch(path: String, epoch: Int)
    /// The data position lists more sequences than one pass over the data has.
    case queueTooLong(path: String, count: Int, sequences: Int)
    case queueEntryOutOfRange(path: String, position: Int, entry: Int, sequences: Int)
    /// A moment (`first_moment`, `second_moment`) whose length is not the parameter count.
    case momentSize(path: String, moment: String, count: Int, expected: Int)
    /// A moment value that is NaN, infinite, or (second moment) negative.
    case invalidMoment(path: String, moment: String, index: Int, value: Float)
    /// Dropout generator states for another number of lanes (threads).
    case generatorCount(path: String, count: Int, expected: Int)

    public var description: String {
        switch self {
        case let .unreadable(path): "no usable training state to resume from (\(path))"
        case let .differentConfiguration(path, saved, current):
            "the run to resume used a different configuration: saved \(saved), now \(current) (\(path))"
        case let .parametersDoNotMatch(path):
            "the saved parameters are not the ones the training state goes with (interrupted while saving?) (\(path))"
        case let .contentsDoNotMatchChecksum(path):
            "the training state does not match its state_checksum (edited, cut, or mixed from two runs?) (\(path))"
        case let .stepOutOfRange(path, step, totalSteps): "the training state's step \(step) is outside this run's 0...\(totalSteps) (\(path))"
        case let .optimizerStepDiffers(path, optimizerStep, step):
            "the training state's optimizer_step \(optimizerStep) differs from its step \(step) (\(path))"
        case let .negativeEpoch(path, epoch): "the training state's epoch \(epoch) is negative (\(path))"
        case let .queueTooLong(path, count, sequences):
            "the training state's queue lists \(count) sequences, more than the data's \(sequences) (\(path))"
        case let .queueEntryOutOfRange(path, position, entry, sequences):
            "the training state's queue[\(position)] is \(entry), outside the data's sequences 0..<\(sequences) (\(path))"
        case let .momentSize(path, moment, count, expected):
            "the training state's \(moment) has \(count) values for \(expected) parameters (\(path))"
        case let .invalidMoment(path, moment, index, value):
            "the training state's \(moment)[\(index)] is \(value), not a finite\(moment == TrainingState.secondMomentName ? " non-negative" : "") number (\(path))"
        case let .generatorCount(path, count, expected):
            "the training state holds \(count) dropout generator states for this run's \(expected) (\(path))"
        }
    }
}
