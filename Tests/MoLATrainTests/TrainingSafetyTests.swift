// What training refuses: an update that would leave a weight non-finite (nothing changes), a
// checkpoint holding NaN, and a saved state that does not fit the run or its own checksum (each
// field by name); and a data set smaller than a micro-batch, which trains.
import Foundation
import MoLAFiles
import MoLATestSupport
import Testing
@testable import MoLAModel
@testable import MoLATrain

@Suite struct TrainingSafetyTests {
    static func options(steps: Int = 3) -> TrainingOptions {
        var options = TrainingOptions()
        options.steps = steps
        options.batchSize = 4
        options.microBatchSize = 4
        return options
    }

    /// The largest learning rate float32 holds, with weight decay: the first update overflows
    /// (the norms' weights of 1 become -3.4e38 * 2), so it is refused and leaves everything as it was.
    @Test func anUpdateThatWouldOverflowChangesNothing() throws {
        let model = try TrainerTests.tinyModel()
        model.trainBase = true
        var options = Self.options()
        options.learningRate = .greatestFiniteMagnitude
        options.weightDecay = 1
        options.warmupSteps = 0
        let trainer = try Trainer(model: model, sequences: TrainerTests.data(), options: options)
        let before = model.base.values.array
        var caught: TrainingError?
        do { try trainer.run { _ in } } catch let error as TrainingError { caught = error }
        guard case let .nonFiniteUpdate(step, parameter) = try #require(caught) else {
            Issue.record("expected nonFiniteUpdate, got \(String(describing: caught))")
            return
        }
        #expect(step == 1)
        #expect(model.base.names.contains(parameter), "\(parameter)")
        #expect(trainer.step == 0 && trainer.optimizer.step == 0)
        #expect(model.base.values.array == before, "a refused update changed the weights")
        let moments = trainer.optimizer.state
        #expect(moments.first.allSatisfy { $0 == 0 } && moments.second.allSatisfy { $0 == 0 })
    }

    @Test func weightsHoldingNaNAreNotSaved() throws {
        let model = try TrainerTests.tinyModel()
        let trainer = try Trainer(model: model, sequences: TrainerTests.data(), options: Self.options())
        try trainer.requireFiniteParameters()
        let name = model.adapter.names[3]
        model.adapter.values(name)[0] = .nan
        #expect(throws: TrainingError.nonFiniteParameter(parameter: name)) { try trainer.requireFiniteParameters() }
    }

    /// 3 sequences, micro-batches of 4: each micro-batch takes sequences from two passes (it crashed).
    @Test func aDataSetSmallerThanAMicroBatch() throws {
        let trainer = try Trainer(model: TrainerTests.tinyModel(), sequences: Array(TrainerTests.data().prefix(3)), options: Self.options())
        var losses: [Double] = []
        try trainer.run { losses.append($0.loss) }
        #expect(losses.count == 3 && losses.allSatisfy(\.isFinite))
        #expect(trainer.epoch >= 3 && trainer.queue.count <= 3)
    }

    /// A trained state and a fresh trainer holding the same parameters, to restore into.
    static func savedRun() throws -> (state: TrainingState, fresh: () throws -> Trainer) {
        let trainer = try Trainer(model: TrainerTests.tinyModel(), sequences: TrainerTests.data(), options: options())
        try trainer.run { _ in }
        let values = trainer.parameters.values.array
        return (trainer.state, {
            let other = try Trainer(model: TrainerTests.tinyModel(), sequences: TrainerTests.data(), options: options())
            other.parameters.values.pointer.update(from: values, count: values.count)
            return other
        })
    }

    @Test func restoreRefusesEveryFieldThatDoesNotFitTheRun() throws {
        let (saved, fresh) = try Self.savedRun()
        try fresh().restore(saved, path: "p")
        let count = saved.firstMoment.count
        let cases: [(String, (inout TrainingState) -> Void, TrainingStateError)] = [
            ("step past the run", { $0.step = 4; $0.optimizerStep = 4 }, .stepOutOfRange(path: "p", step: 4, totalSteps: 3)),
            ("negative step", { $0.step = -1; $0.optimizerStep = -1 }, .stepOutOfRange(path: "p", step: -1, totalSteps: 3)),
            ("optimizer step", { $0.optimizerStep = 7 }, .optimizerStepDiffers(path: "p", optimizerStep: 7, step: 3)),
            ("epoch", { $0.epoch = -2 }, .negativeEpoch(path: "p", epoch: -2)),
            ("queue too long", { $0.queue = Array(0..<17) }, .queueTooLong(path: "p", count: 17, sequences: 16)),
            ("queue entry", { $0.queue = [3, 16] }, .queueEntryOutOfRange(path: "p", position: 1, entry: 16, sequences: 16)),
            ("negative queue entry", { $0.queue = [-1] }, .queueEntryOutOfRange(path: "p", position: 0, entry: -1, sequences: 16)),
            ("first moment size", { $0.firstMoment.removeLast() },
             .momentSize(path: "p", moment: "first_moment", count: count - 1, expected: count)),
            ("second moment size", { $0.secondMoment += [0] },
             .momentSize(path: "p", moment: "second_moment", count: count + 1, expected: count)),
            ("first moment NaN", { $0.firstMoment[5] = .infinity },
             .invalidMoment(path: "p", moment: "first_moment", index: 5, value: .infinity)),
            ("negative second moment", { $0.secondMoment[2] = -1 },
             .invalidMoment(path: "p", moment: "second_moment", index: 2, value: -1)),
            ("generators", { $0.randomStates += [1] }, .generatorCount(path: "p", count: 2, expected: 1)),
        ]
        for (name, change, expected) in cases {
            var state = saved
            change(&state)
            let trainer = try fresh()
            #expect(throws: expected, "\(name)") { try trainer.restore(state, path: "p") }
            #expect(trainer.step == 0, "\(name): a refused state was partly restored")
        }
    }

    /// A state whose files were edited, or whose moments come from another run, does not match
    /// its own checksum; a state without one is refused by name.
    @Test func aStateMustMatchItsChecksum() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let (saved, _) = try Self.savedRun()
        try saved.save(to: scratch.url.path, fingerprint: "f")
        #expect(try TrainingState.load(from: scratch.url.path, fingerprint: "f") == saved)
        let json = scratch.path(TrainingState.jsonName)
        let text = try String(contentsOfFile: json, encoding: .utf8)

        let edited = text.replacingOccurrences(of: #""queue": ["#, with: #""queue": [0, "#)
        #expect(edited != text)
        try Data(edited.utf8).write(to: URL(fileURLWithPath: json))
        #expect(throws: TrainingStateError.contentsDoNotMatchChecksum(path: json)) { try TrainingState.load(from: scratch.url.path, fingerprint: "f") }

        // The counters of this run with the moments of another.
        try Data(text.utf8).write(to: URL(fileURLWithPath: json))
        var other = saved
        other.firstMoment[0] += 1
        let otherDirectory = scratch.path("other")
        try FileManager.default.createDirectory(atPath: otherDirectory, withIntermediateDirectories: true)
        try other.save(to: otherDirectory, fingerprint: "f")
        try FileManager.default.removeItem(atPath: scratch.path(TrainingState.momentsName))
        try FileManager.default.copyItem(atPath: "\(otherDirectory)/\(TrainingState.momentsName)", toPath: scratch.path(TrainingState.momentsName))
        #expect(throws: TrainingStateError.contentsDoNotMatchChecksum(path: json)) { try TrainingState.load(from: scratch.url.path, fingerprint: "f") }

        let unsigned = text.replacingOccurrences(of: #""state_checksum": ""#, with: #""state_checksum": "-"#)
        try Data(unsigned.utf8).write(to: URL(fileURLWithPath: json))
        #expect(throws: JSONDocumentError.invalidField(file: json, field: "state_checksum", expected: "an unsigned 64-bit integer written as a string")) {
            try TrainingState.load(from: scratch.url.path, fingerprint: "f")
        }
    }
}
