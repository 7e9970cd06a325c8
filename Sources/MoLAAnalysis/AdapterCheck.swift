import MoLACheckpoint

/// One problem `check` found, with the tensors it concerns.
public struct CheckFinding: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
        case note, warning, error

        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var severity: Severity
    /// `untrained_expert`, `duplicate_experts`, ... (README.md lists them).
    public var kind: String
    public var layer: Int?
    /// The projection's checkpoint name (`q_proj`); nil for a finding about a whole layer.
    public var projection: String?
    public var experts: [Int]
    public var message: String

    public init(severity: Severity, kind: String, layer: Int?, projection: String?, experts: [Int], message: String) {
        (self.severity, self.kind, self.layer, self.projection, self.experts, self.message) = (severity, kind, layer, projection, experts, message)
    }

    enum CodingKeys: String, CodingKey { case severity, kind, layer, projection, experts, message }

    /// Every key always present: an absent layer or projection is `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(severity, forKey: .severity)
        try container.encode(kind, forKey: .kind)
        if let layer { try container.encode(layer, forKey: .layer) } else { try container.encodeNil(forKey: .layer) }
        if let projection { try container.encode(projection, forKey: .projection) } else { try container.encodeNil(forKey: .projection) }
        try container.encode(experts, forKey: .experts)
        try container.encode(message, forKey: .message)
    }
}

/// The thresholds of `check`'s weight-only kinds, with the defaults the README documents.
public struct CheckThresholds: Sendable {
    /// `duplicate_experts`: distance below this share of the larger norm.
    public var duplicateRelative = 1e-6
    /// `rank_deficient`: effective rank below this share of r.
    public var effectiveRankShare = 0.5
    /// `parallel_router_rows`: router-row cosine above this.
    public var routerCosine = 0.99

    public init() {}
}

/// The weight-only checks of `mola-inspect check`: a lint for adapters. The data-driven kinds
/// (`never_selected`, ...) need a routing run and are added by the command.
public enum AdapterCheck {
    /// Findings in layer and projection order.
    ///
    /// - Parameter topK: K per layer (`TopKPolicy`), for `topk_covers_all` (top-K rules only: a
    ///   dense-softmax adapter weighs every expert by design).
    /// - Throws: read errors and LAPACK failures; bad values are findings, not errors.
    public static func run(_ adapter: MoLAAdapter, topK: [Int], thresholds: CheckThresholds, threadCount: Int = 1) throws -> [CheckFinding] {
        var findings: [CheckFinding] = []
        let nonFinite = Set(try FinitenessScan.scan(adapter, threadCount: threadCount).map(\.tensor))
        for layer in adapter.layers {
            if [.topK, .single].contains(adapter.routingRule), layer.index < topK.count, topK[layer.index] >= layer.expertCount,
               layer.expertCount > 0 {
                findings.append(CheckFinding(severity: .note, kind: "topk_covers_all", layer: layer.index, projection: nil,
                                             experts: Array(0..<layer.expertCount),
                                             message: "top-K \(topK[layer.index]) covers all \(layer.expertCount) experts: the router only weighs them, it chooses nothing"))
            }
            for projection in layer.projections {
                findings += try check(projection, file: adapter.file, nonFinite: nonFinite, thresholds: thresholds)
            }
        }
        return findings
    }

    static func check(_ projection: ProjectionAdapter, file: any TensorFile, nonFinite: Set<String>,
                      thresholds: CheckThresholds) throws -> [CheckFinding] {
        func finding(_ severity: CheckFinding.Severity, _ kind: String, _ experts: [Int], _ message: String) -> CheckFinding {
            CheckFinding(severity: severity, kind: kind, layer: projection.layer, projection: projection.kind.checkpointName,
                         experts: experts, message: message)
        }
        var findings: [CheckFinding] = []
        let tensors = projection.experts.flatMap { [$0.a, $0.b] } + (projection.router.map { [$0] } ?? [])
        let bad = tensors.filter(nonFinite.contains)
        if !bad.isEmpty {
            let experts = projection.experts.indices.filter { bad.contains(projection.experts[$0].a) || bad.contains(projection.experts[$0].b) }
            // The other measures would be meaningless here.
            return [finding(.error, "non_finite", experts, "NaN or infinite values in \(bad.joined(separator: ", "))")]
        }
        let workspace = Workspace()
        let spectrum = try SpectrumAnalyzer.analyze(projection, file: file, allowingZeroExperts: true, workspace: workspace)
        let untrained = try projection.experts.indices.filter { try file.record(named: projection.experts[$0].b).doubles().allSatisfy { $0 == 0 } }
        for expert in untrained {
            findings.append(finding(.error, "untrained_expert", [expert],
                                    "\(projection.experts[expert].b) is all zero, so dW = 0: the initialisation never moved"))
        }
        for expert in spectrum.experts where !untrained.contains(expert.expert) {
            guard let measures = expert.measures else { continue }
            if measures.effectiveRank < thresholds.effectiveRankShare * Double(projection.rank) {
                findings.append(finding(.warning, "rank_deficient", [expert.expert],
                                        "effective rank \(rounded(measures.effectiveRank)) of r = \(projection.rank) (below \(thresholds.effectiveRankShare) r) for \(projection.experts[expert.expert].b)"))
            }
        }
        guard projection.expertCount > 1 else { return findings }
        let distances = try RedundancyAnalyzer.analyze(projection, file: file, options: RedundancyOptions(metric: .delta), workspace: workspace)
        for pair in distances.pairs {
            let larger = max(distances.norms[pair.first], distances.norms[pair.second])
            if larger > 0, pair.distance < thresholds.duplicateRelative * larger {
                findings.append(finding(.warning, "duplicate_experts", [pair.first, pair.second],
                                        "experts \(pair.first) and \(pair.second) are \(rounded(pair.distance / larger)) of their norm apart (below \(thresholds.duplicateRelative))"))
            }
        }
        if projection.router != nil, let routers = try? RouterSimilarity.analyze(projection, file: file) {
            for pair in routers.pairs where pair.distance > thresholds.routerCosine {
                findings.append(finding(.warning, "parallel_router_rows", [pair.first, pair.second],
                                        "router rows \(pair.first) and \(pair.second) of \(projection.router!) have cosine \(rounded(pair.distance)) (above \(thresholds.routerCosine)): the router ranks them alike for every input"))
            }
        }
        return findings
    }

    static func rounded(_ value: Double) -> String {
        value == 0 ? "0" : abs(value) >= 1e-3 && abs(value) < 1e4 ? String(Double(Int((value * 1e4).rounded())) / 1e4) : "\(Float(value))"
    }
}

/// The `check --json` report (README.md documents it).
public struct CheckDocument: Sendable, Codable {
    public var checkpoint: String
    public var findings: [CheckFinding]

    public init(checkpoint: String, findings: [CheckFinding]) {
        self.checkpoint = checkpoint
        self.findings = findings
    }

    /// 0 when clean (notes at most), 1 with warnings, 2 with errors.
    public var exitStatus: Int32 {
        let worst = findings.map(\.severity).max()
        return worst == .error ? 2 : worst == .warning ? 1 : 0
    }
}
