import Foundation

/// Texts read from a data file: JSON or JSONL in the reference layout (`instruction`, `input`,
/// `output`, optional `answer`) rendered with the Alpaca template, or plain text (one example
/// per non-empty line).
public enum TextDataset {
    /// Each example's prompt and output (for training on outputs only): the Alpaca prompt and
    /// the `output` for the reference layout, an empty prompt and the line for plain text.
    ///
    /// - Throws: `DatasetError` naming the file and line.
    public static func loadRecords(path: String) throws -> [(prompt: String, output: String)] {
        try load(path: path, split: true).map { ($0.prompt, $0.output) }
    }

    /// The examples as full texts (prompt followed by output).
    ///
    /// - Throws: `DatasetError` naming the file and line.
    public static func load(path: String) throws -> [String] {
        try load(path: path, split: true).map { $0.prompt + $0.output }
    }

    private static func load(path: String, split: Bool) throws -> [(prompt: String, output: String)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError.unreadable(file: path) }
        guard let text = String(data: data, encoding: .utf8) else { throw DatasetError.notUTF8(file: path) }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = path.lowercased()
        let examples: [(prompt: String, output: String)]
        if lower.hasSuffix(".jsonl") {
            examples = try text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
                let content = line.trimmingCharacters(in: .whitespaces)
                guard !content.isEmpty else { return nil }
                guard let object = try? JSONSerialization.jsonObject(with: Data(content.utf8)) else {
                    throw DatasetError.invalidJSON(file: path, line: index + 1)
                }
                return try render(object, file: path, line: index + 1)
            }
        } else if lower.hasSuffix(".json") {
            guard let object = try? JSONSerialization.jsonObject(with: data), let records = object as? [Any] else {
                throw DatasetError.invalidJSON(file: path, line: nil)
            }
            examples = try records.enumerated().map { try render($1, file: path, line: nil, record: $0) }
        } else {
            examples = trimmed.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                .map { (prompt: "", output: $0) }
        }
        guard !examples.isEmpty else { throw DatasetError.empty(file: path) }
        return examples
    }

    private static func render(_ object: Any, file: String, line: Int?, record: Int? = nil) throws -> (prompt: String, output: String) {
        guard let fields = object as? [String: Any], let instruction = fields["instruction"] as? String else {
            throw DatasetError.missingField(file: file, line: line, record: record, field: "instruction")
        }
        let input = fields["input"] as? String ?? ""
        guard let output = fields["output"] as? String else {
            throw DatasetError.missingField(file: file, line: line, record: record, field: "output")
        }
        return (PromptTemplate.alpaca(instruction: instruction, input: input, output: ""), output)
    }

    /// Questions for evaluation: JSON or JSONL in the reference layout with an `answer` field;
    /// the prompt is the Alpaca template with an empty response.
    ///
    /// - Throws: `DatasetError` naming the file and line.
    public static func loadQuestions(path: String) throws -> [(prompt: String, answer: String)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError.unreadable(file: path) }
        guard let text = String(data: data, encoding: .utf8) else { throw DatasetError.notUTF8(file: path) }
        var objects: [(Any, Int?, Int?)] = []
        if path.lowercased().hasSuffix(".jsonl") {
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
                    throw DatasetError.invalidJSON(file: path, line: index + 1)
                }
                objects.append((object, index + 1, nil))
            }
        } else {
            guard let object = try? JSONSerialization.jsonObject(with: data), let records = object as? [Any] else {
                throw DatasetError.invalidJSON(file: path, line: nil)
            }
            objects = records.enumerated().map { ($1, nil, $0) }
        }
        let questions = try objects.map { object, line, record -> (prompt: String, answer: String) in
            guard let fields = object as? [String: Any], let instruction = fields["instruction"] as? String else {
                throw DatasetError.missingField(file: path, line: line, record: record, field: "instruction")
            }
            guard let answer = fields["answer"] as? String else {
                throw DatasetError.missingField(file: path, line: line, record: record, field: "answer")
            }
            return (PromptTemplate.alpaca(instruction: instruction, input: fields["input"] as? String ?? "", output: ""), answer)
        }
        guard !questions.isEmpty else { throw DatasetError.empty(file: path) }
        return questions
    }

    /// Pre-tokenised ids: a JSON array of arrays of integers.
    public static func loadTokens(path: String) throws -> [[Int]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError.unreadable(file: path) }
        guard let object = try? JSONSerialization.jsonObject(with: data), let sequences = object as? [Any] else {
            throw DatasetError.invalidJSON(file: path, line: nil)
        }
        let result = try sequences.enumerated().map { index, sequence -> [Int] in
            guard let values = sequence as? [Any], let ids = values as? [Int], ids.count == values.count else {
                throw DatasetError.notTokenLists(file: path, record: index)
            }
            return ids
        }
        guard result.contains(where: { !$0.isEmpty }) else { throw DatasetError.empty(file: path) }
        return result
    }
}

/// A data file that cannot be used.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String)
    case notUTF8(file: String)
    case invalidJSON(file: String, line: Int?)
    case missingField(file: String, line: Int?, record: Int?, field: String)
    case notTokenLists(file: String, record: Int)
    case empty(file: String)

    public var description: String {
        switch self {
        case let .unreadable(file): "cannot read the data file (\(file))"
        case let .notUTF8(file): "the data file is not UTF-8 text (\(file))"
        case let .invalidJSON(file, line): "invalid JSON (\(file)\(line.map { ", line \($0)" } ?? ""))"
        case let .missingField(file, line, record, field):
            "an example has no string \"\(field)\" (\(file)\(line.map { ", line \($0)" } ?? "")\(record.map { ", record \($0)" } ?? ""))"
        case let .notTokenLists(file, record): "record \(record) is not a list of integer token ids (\(file))"
        case let .empty(file): "the data file holds no examples (\(file))"
        }
    }
}
