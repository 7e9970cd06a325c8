import Foundation
import MoLACommandLine
import MoLATensor
import MoLAText
import MoLATrain

/// One domain of `continual`: the examples it trains on and the questions that score it.
struct ContinualDomain {
    let name: String
    let training: [(prompt: String, output: String)]
    let questions: [Evaluation.Item]

    /// A synthetic domain: `count` training examples generated with `seed` and `questionCount`
    /// questions with `questionSeed` (as `train --tasks` and `eval --tasks` make them).
    static func synthetic(_ domain: SyntheticTasks.Domain, style: TaskStyleOptions, count: Int, seed: UInt64,
                          questionCount: Int, questionSeed: UInt64) -> ContinualDomain {
        ContinualDomain(name: domain.rawValue,
                        training: style.generate([domain], count: count, seed: seed).map { ($0.prompt, $0.output) },
                        questions: style.generate([domain], count: questionCount, seed: questionSeed).map { $0.question })
    }

    /// A JSON or JSONL file whose records carry both `output` and `answer`: shuffled with `seed`,
    /// the first `heldOut` fraction (at least one record) kept as questions, the rest trained on.
    ///
    /// - Throws: `DatasetError` for a record without `output` or `answer`; `CommandError.failed`
    ///   for a file too small to split.
    static func file(_ path: String, name: String, heldOut: Double, seed: UInt64) throws -> ContinualDomain {
        let records = try TextDataset.loadAnsweredRecords(path: path)
        let questionCount = max(1, Int((heldOut * Double(records.count)).rounded()))
        guard questionCount < records.count else {
            throw CommandError.failed("domain \(name) has \(records.count) record(s): too few to hold out \(questionCount) as questions and train on the rest (\(path))")
        }
        var random = SplitMix(seed: seed)
        let order = Array(records.indices).shuffled(using: &random)
        return ContinualDomain(name: name,
                               training: order[questionCount...].map { (records[$0].prompt, records[$0].output) },
                               questions: order[..<questionCount].map {
                                   Evaluation.Item(group: name, prompt: records[$0].prompt, answer: records[$0].answer)
                               })
    }
}

/// `--domains` of `continual`: synthetic domain names or JSON/JSONL files, comma-separated.
struct ContinualDomainList: ExpressibleByArgument {
    enum Entry: Equatable {
        case synthetic(SyntheticTasks.Domain)
        case file(String)

        /// The synthetic domain's name, or the file's name without its extension.
        var name: String {
            switch self {
            case let .synthetic(domain): domain.rawValue
            case let .file(path): URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            }
        }
    }

    let entries: [Entry]

    init?(argument: String) {
        var entries: [Entry] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let domain = SyntheticTasks.Domain(rawValue: part.lowercased()) {
                entries.append(.synthetic(domain))
            } else if [".json", ".jsonl"].contains(where: { part.lowercased().hasSuffix($0) }) {
                entries.append(.file(part))
            } else {
                return nil
            }
        }
        self.entries = entries
    }

    var argumentDescription: String {
        entries.map { entry in
            switch entry {
            case let .synthetic(domain): domain.rawValue
            case let .file(path): path
            }
        }.joined(separator: ",")
    }
    static var defaultValueName: String { "LIST" }
    static func invalidArgumentMessage(_ argument: String, option: String) -> String {
        "\(option) \"\(argument)\" is not a comma-separated list of synthetic domains ("
            + SyntheticTasks.Domain.allCases.map(\.rawValue).joined(separator: ", ") + ") and .json/.jsonl files"
    }

    /// Refuses fewer than two domains and a name given twice.
    func validate() throws {
        guard entries.count >= 2 else {
            throw UsageError("--domains names \(entries.count) domain; continual learning needs at least two")
        }
        var seen: Set<String> = []
        for name in entries.map(\.name) where !seen.insert(name).inserted {
            throw UsageError("--domains names \(name) twice; each domain is trained once")
        }
    }
}
