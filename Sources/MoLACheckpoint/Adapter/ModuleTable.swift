import MoLAFiles

/// A part of a LLaMA layer that reports key by its name on disk: a projection (`q_proj`) or a
/// router's site (`q_proj`, ..., `mlp`).
public protocol CheckpointModule: CaseIterable, Comparable, Hashable, Sendable {
    /// The module's name in checkpoints and reports.
    var checkpointName: String { get }
    init?(checkpointName name: String)
    /// What a name of this kind names, for errors: `projection`, `router site`.
    static var moduleDescription: String { get }
}

extension ProjectionKind: CheckpointModule {
    public static let moduleDescription = "projection"
}

extension RouterSite: CheckpointModule {
    public static let moduleDescription = "router site"
}

/// One value per projection, in projection order (q, k, v, o, gate, up, down), written in JSON as
/// an object keyed by the names on disk: `{"q_proj": ..., "v_proj": ...}`.
public typealias ProjectionTable<Value> = ModuleTable<ProjectionKind, Value>

/// One value per router site, in order (q, k, v, o, gate, up, down, the feed-forward block), written
/// in JSON as an object keyed by the names on disk: `{"q_proj": ..., "mlp": ...}`.
public typealias RouterTable<Value> = ModuleTable<RouterSite, Value>

/// One value per module of a layer, in module order, written in JSON as an object keyed by the
/// modules' names on disk.
public struct ModuleTable<Module: CheckpointModule, Value> {
    public private(set) var entries: [(kind: Module, value: Value)]

    /// - Precondition: each module at most once.
    public init(_ entries: [(kind: Module, value: Value)]) {
        precondition(Set(entries.map(\.kind)).count == entries.count, "ModuleTable: a module twice")
        self.entries = entries.sorted { $0.kind < $1.kind }
    }

    public subscript(kind: Module) -> Value? {
        entries.first { $0.kind == kind }?.value
    }

    public var kinds: [Module] { entries.map(\.kind) }
}

extension ModuleTable: Sendable where Value: Sendable {}

/// A key spelled at run time: the module names of a table.
private struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension ModuleTable: Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        for entry in entries { try container.encode(entry.value, forKey: NameKey(stringValue: entry.kind.checkpointName)) }
    }
}

extension ModuleTable: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: NameKey.self)
        var entries: [(kind: Module, value: Value)] = []
        for key in container.allKeys {
            guard let kind = Module(checkpointName: key.stringValue) else {
                let names = Module.allCases.map(\.checkpointName).joined(separator: ", ")
                throw JSONExpectation.error("a \(Module.moduleDescription) name (\(names))",
                                            forKey: key, in: container)
            }
            entries.append((kind, try container.decode(Value.self, forKey: key)))
        }
        self.init(entries)
    }
}
