import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine

/// `--metric`, `--unscaled` and `--projections` (default attention): what `redundancy`,
/// `plot redundancy` and `plot pairs` measure.
struct RedundancyAnalysisOptions: ParsableArguments {
    @Option(name: "--metric", help: "distances of dW = s*B*A (delta), A alone (a) or B alone (b); similarities: cosine of dW, subspace of dW's spaces, router rows' cosine (router)") var metric = RedundancyMetric.delta
    @Option(name: "--side", help: "the spaces subspace compares: column (d_out, default) or row (d_in)") var side: SubspaceSide?
    @Flag(name: "--unscaled", help: "leave out s = alpha / r in delta") var unscaled: Bool
    @Option(name: "--projections", valueName: "SET", help: "attention (q,k,v,o: Figure 3), mlp, all, or a list like q_proj,v_proj")
    var projections = ProjectionSelection.attention
    @Flag(name: "--allow-untrained", help: "cosine and subspace: leave out experts whose dW is zero (never trained), their pairs null, means over the others, instead of refusing")
    var allowUntrained: Bool

    func validate() throws {
        if side != nil, metric != .subspace { throw UsageError("--side applies to --metric subspace only") }
        if allowUntrained, metric != .cosine, metric != .subspace {
            throw UsageError("--allow-untrained applies to --metric cosine and subspace only (the distances measure untrained experts)")
        }
    }

    /// The analysis these options ask for, on `threads` workers.
    func analysisOptions(threads: Int) -> RedundancyOptions {
        RedundancyOptions(metric: metric, scaled: !unscaled, projections: Set(projections.kinds), threadCount: threads, side: side ?? .column,
                          allowingUntrained: allowUntrained)
    }
}

extension RedundancyMetric: ExpressibleByArgument {
    /// Any case: `--metric A` is `a`.
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension SubspaceSide: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// A set of projections as the user names it: `attention`, `mlp`, `all`, or a comma-separated
/// list (`q_proj,v_proj` or `q,v`).
struct ProjectionSelection: ExpressibleByArgument, Equatable {
    let kinds: [ProjectionKind]
    /// `attention`, `mlp`, `all`, or the list's checkpoint names (`q_proj,v_proj`).
    let name: String
    let isExplicitList: Bool

    static let attention = ProjectionSelection(kinds: ProjectionKind.attention, name: "attention", isExplicitList: false)
    static let mlp = ProjectionSelection(kinds: ProjectionKind.mlp, name: "mlp", isExplicitList: false)
    static let all = ProjectionSelection(kinds: ProjectionKind.allCases, name: "all", isExplicitList: false)

    private init(kinds: [ProjectionKind], name: String, isExplicitList: Bool) {
        (self.kinds, self.name, self.isExplicitList) = (kinds, name, isExplicitList)
    }

    init?(argument: String) {
        switch argument.lowercased() {
        case "attention": self = .attention
        case "mlp": self = .mlp
        case "all": self = .all
        default:
            var kinds: [ProjectionKind] = []
            for item in Self.items(argument) {
                guard let kind = Self.kind(item) else { return nil }
                if !kinds.contains(kind) { kinds.append(kind) }
            }
            guard !kinds.isEmpty else { return nil }
            self.init(kinds: kinds.sorted(), name: kinds.sorted().map(\.checkpointName).joined(separator: ","), isExplicitList: true)
        }
    }

    var argumentDescription: String { name }

    static func invalidArgumentMessage(_ argument: String, option: String) -> String {
        guard let unknown = items(argument).first(where: { kind($0) == nil }) else { return "\(option) is empty" }
        return "unknown projection \"\(unknown)\"; use attention, mlp, all or names among q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj"
    }

    private static func items(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private static func kind(_ item: String) -> ProjectionKind? {
        ProjectionKind(checkpointName: item.hasSuffix("_proj") ? item : item + "_proj")
    }
}
