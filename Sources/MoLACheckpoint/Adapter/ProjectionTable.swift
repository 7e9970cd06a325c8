import MoLAFiles

/// One value per projection, in projection order (q, k, v, o, gate, up, down), written in JSON as
/// an object keyed by the names on disk: `{"q_proj": ..., "v_proj": ...}`.
public struct ProjectionTable<Value> {
    public private(set) var entries: [(kind: ProjectionKind, value: Value)]

    /// - Precondition: each kind at most once.
    public init(_ entries: [(kind: ProjectionKind, value: Value)]) {
        precondition(Set(entries.map(\.kind)).count == entries.count, "ProjectionTable: a projection twice")
        self.entries = entries.sorted { $0.kind < $1.kind }
    }

    public subscript(kind: ProjectionKind) -> Value? {
        entries.first { $0.kind == kind }?.value
    }

    public var kinds: [ProjectionKind] { entries.map(\.kind) }
}

extension ProjectionTable: Sendable where Value: Sendable {}

/// A key spelled at run time: the projection names of a table.
private struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension ProjectionTable: Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        for entry in entries { try container.encode(entry.value, forKey: NameKey(stringValue: entry.kind.checkpointName)) }
    }
}

extension ProjectionTable: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: NameKey.self)
        var entries: [(kind: ProjectionKind, value: Value)] = []
        for key in container.allKeys {
            guard let kind = ProjectionKind(checkpointName: key.stringValue) else {
                throw JSONExpectation.error("a projection name (\(ProjectionKind.allCases.map(\.checkpointName).joined(separator: ", ")))",
                                            forKey: key, in: container)
            }
            entries.append((kind, try container.decode(Value.self, forKey: key)))
        }
        self.init(entries)
    }
}
