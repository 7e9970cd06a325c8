import Foundation
import MoLAFiles

/// Texts read from a data file: JSON or JSONL in the reference layout (`instruction`, `input`,
/// `output`, optional `answer`) rendered with the Alpaca template, or plain text (one example
/// per non-empty line).
public enum TextDataset {
    /// The largest data file read, in bytes (the whole file is decoded in memory).
    public static let sizeLimit = 2 << 30

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
        let examples: [(prompt: String, output: String)]
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") {
            examples = try records(path: path).map { entry in
                guard let output = entry.record.output else {
                    throw DatasetError.missingField(file: path, line: entry.line, record: entry.index, field: "output")
                }
                return (entry.record.prompt, output)
            }
        } else {
            let text = try self.text(path: path).trimmingCharacters(in: .whitespacesAndNewlines)
            examples = text.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                .map { (prompt: "", output: $0) }
        }
        guard !examples.isEmpty else { throw DatasetError.empty(file: path) }
        return examples
    }

    /// Questions for evaluation: JSON or JSONL in the reference layout with an `answer` field;
    /// the prompt is the Alpaca template with an empty response.
    ///
    /// - Throws: `DatasetError` naming the file and line.
    public static func loadQuestions(path: String) throws -> [(prompt: String, answer: String)] {
        let questions = try records(path: path).map { entry -> (prompt: String, answer: String) in
            guard let answer = entry.record.answer else {
                throw DatasetError.missingField(file: path, line: entry.line, record: entry.index, field: "answer")
            }
            return (entry.record.prompt, answer)
        }
        guard !questions.isEmpty else { throw DatasetError.empty(file: path) }
        return questions
    }

    /// Records with both an `output` to train on and an `answer` to score, from JSON or JSONL in
    /// the reference layout (a domain of `continual`, split into training and questions).
    ///
    /// - Throws: `DatasetError` naming the file, the line and the missing field.
    public static func loadAnsweredRecords(path: String) throws -> [(prompt: String, output: String, answer: String)] {
        let answered = try records(path: path).map { entry -> (prompt: String, output: String, answer: String) in
            for (field, value) in [("output", entry.record.output), ("answer", entry.record.answer)] where value == nil {
                throw DatasetError.missingField(file: path, line: entry.line, record: entry.index, field: field)
            }
            return (entry.record.prompt, entry.record.output!, entry.record.answer!)
        }
        guard !answered.isEmpty else { throw DatasetError.empty(file: path) }
        return answered
    }

    /// The file's text, which must be UTF-8.
    private static func text(path: String) throws -> String {
        let data = try InputFile.contents(of: path, limit: sizeLimit)
        guard let text = String(data: data, encoding: .utf8) else { throw DatasetError.notUTF8(file: path) }
        return text
    }

    /// The records of a JSONL file (one a line, blank lines skipped; errors name the line) or of
    /// a JSON file holding a list of them (errors name the record).
    private static func records(path: String) throws -> [(record: AlpacaRecord, line: Int?, index: Int?)] {
        let text = try self.text(path: path)
        if path.lowercased().hasSuffix(".jsonl") {
            return try text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
                return (try decode(AlpacaRecord.self, Data(line.utf8), file: path, line: index + 1, record: nil), index + 1, nil)
            }
        }
        let list = try decode([LazyRecord].self, Data(text.utf8), file: path, line: nil, record: nil)
        return try list.enumerated().map { index, lazy in
            (try decode(AlpacaRecord.self, lazy.data, file: path, line: nil, record: index), nil, index)
        }
    }

    /// Decodes one record, turning decoding errors into `DatasetError`s that name the place.
    private static func decode<Value: Decodable>(_ type: Value.Type, _ data: Data, file: String, line: Int?, record: Int?) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw DatasetError.missingField(file: file, line: line, record: record, field: key.stringValue)
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw DatasetError.missingField(file: file, line: line, record: record, field: context.codingPath.last!.stringValue)
        } catch let DecodingError.valueNotFound(_, context) where !context.codingPath.isEmpty {
            throw DatasetError.missingField(file: file, line: line, record: record, field: context.codingPath.last!.stringValue)
        } catch let error as DecodingError {
            if case .typeMismatch = error, line != nil || record != nil {  // a record that is not an object
                throw DatasetError.missingField(file: file, line: line, record: record, field: "instruction")
            }
            throw DatasetError.invalidJSON(file: file, line: line)
        }
    }

    /// Pre-tokenised ids: a JSON array of arrays of integers.
    ///
    /// - Throws: `DatasetError` naming the file and the record.
    public static func loadTokens(path: String) throws -> [[Int]] {
        let data = try InputFile.contents(of: path, limit: sizeLimit)
        let list = try decode([LazyRecord].self, data, file: path, line: nil, record: nil)
        let result = try list.enumerated().map { index, lazy -> [Int] in
            guard let ids = try? JSONDecoder().decode([Int].self, from: lazy.data) else {
                throw DatasetError.notTokenLists(file: path, record: index)
            }
            return ids
        }
        guard result.contains(where: { !$0.isEmpty }) else { throw DatasetError.empty(file: path) }
        return result
    }
}

/// One example in the reference (Alpaca) layout: `instruction`, optional `input`, `output` for
/// training, `answer` for evaluation. Other fields are ignored.
public struct AlpacaRecord: Sendable, Equatable, Codable {
    public var instruction: String
    public var input: String?
    public var output: String?
    public var answer: String?

    public init(instruction: String, input: String? = nil, output: String? = nil, answer: String? = nil) {
        self.instruction = instruction
        self.input = input
        self.output = output
        self.answer = answer
    }

    /// The Alpaca prompt with an empty response.
    public var prompt: String { PromptTemplate.alpaca(instruction: instruction, input: input ?? "", output: "") }
}

/// One element of a JSON list, kept as its bytes so that each is decoded (and its errors named) on its own.
private struct LazyRecord: Decodable {
    let data: Data

    init(from decoder: any Decoder) throws {
        data = try JSONEncoder().encode(try JSONValue(from: decoder))
    }
}

/// A data file that cannot be used.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case notUTF8(file: String)
    case invalidJSON(file: String, line: Int?)
    case missingField(file: String, line: Int?, record: Int?, field: String)
    case notTokenLists(file: String, record: Int)
    case empty(file: String)

    public var description: String {
        switch self {
        case let .notUTF8(file): "the data file is not UTF-8 text (\(file))"
        case let .invalidJSON(file, line): "invalid JSON (\(file)\(line.map { ", line \($0)" } ?? ""))"
        case let .missingField(file, line, record, field):
            "an example has no string \"\(field)\" (\(file)\(line.map { ", line \($0)" } ?? "")\(record.map { ", record \($0)" } ?? ""))"
        case let .notTokenLists(file, record): "record \(record) is not a list of integer token ids (\(file))"
        case let .empty(file): "the data file holds no examples (\(file))"
        }
    }
}
