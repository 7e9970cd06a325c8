import Foundation
import MoLACheckpoint
import MoLAModel

/// How one router of one layer (a projection's, or MixLoRA's feed-forward block's) routed the
/// counted tokens.
public struct ProjectionRouting: Sendable {
    public let layer: Int
    public let site: RouterSite
    public let experts: Int
    public let topK: Int
    /// Tokens counted (padding excluded unless asked for).
    public let tokens: Int
    /// Times each expert was among the top-K.
    public let selected: [Int]
    /// Sum of each expert's softmax probability over all tokens.
    let probabilitySums: [Double]
    /// Sum of each expert's renormalised weight over the tokens that chose it.
    let weightSums: [Double]
    /// Sum over tokens of the entropy of p (nats).
    let tokenEntropySum: Double
    /// Tokens whose K-th and next probabilities differ by less than `RoutingAccumulator.tieMargin`.
    public let nearTies: Int

    /// Each expert's share of all selections (`selected / (tokens * K)`).
    public var shares: [Double] { selected.map { tokens > 0 ? Double($0) / Double(tokens * topK) : 0 } }
    public var meanProbabilities: [Double] { probabilitySums.map { tokens > 0 ? $0 / Double(tokens) : 0 } }
    /// Mean renormalised weight over the tokens that chose the expert; nil when none did.
    public var meanWeightsWhenSelected: [Double?] { zip(weightSums, selected).map { $1 > 0 ? $0 / Double($1) : nil } }
    /// `E * sum_i f_i * Pbar_i` of this router alone (1 under perfectly even routing).
    public var balance: Double { Double(experts) * zip(shares, meanProbabilities).reduce(0) { $0 + $1.0 * $1.1 } }
    /// Entropy of the selection shares in nats (log E when even).
    public var entropy: Double { -shares.filter { $0 > 0 }.reduce(0) { $0 + $1 * log($1) } }
    /// `entropy / log E`, in [0, 1].
    public var normalisedEntropy: Double { experts > 1 ? entropy / log(Double(experts)) : 1 }
    /// Mean over tokens of the entropy of the router's softmax (nats).
    public var meanTokenEntropy: Double { tokens > 0 ? tokenEntropySum / Double(tokens) : 0 }
    public var neverSelected: [Int] { selected.indices.filter { selected[$0] == 0 } }
    /// Experts whose share is more than twice the even share 1/E.
    public var overloaded: [Int] { shares.indices.filter { shares[$0] > 2 / Double(experts) } }
}

/// One layer's routing: its routers and the balance term pooled over them (MOLA.md).
public struct LayerRouting: Sendable {
    public let layer: Int
    public let projections: [ProjectionRouting]

    /// `E * sum_i f_i * Pbar_i` with f and Pbar pooled over every router of the layer (plain
    /// LoRA's one expert, beside the mixtures of MoE-PEFT's LoRAMoE and MixLoRA, takes no part, as
    /// in the model's balance loss).
    public var balance: Double? {
        let routed = projections.filter { $0.experts > 1 }
        guard let first = routed.first else { return nil }
        let rows = Double(routed.reduce(0) { $0 + $1.tokens })
        guard rows > 0 else { return nil }
        var f = [Double](repeating: 0, count: first.experts), p = f
        for projection in routed {
            for e in 0..<first.experts {
                f[e] += Double(projection.selected[e]) / (rows * Double(first.topK))
                p[e] += projection.probabilitySums[e] / rows
            }
        }
        return Double(first.experts) * zip(f, p).reduce(0) { $0 + $1.0 * $1.1 }
    }
}

/// Routing statistics over a dataset.
public struct RoutingReport: Sendable {
    public let layers: [LayerRouting]
    /// Tokens counted.
    public let tokens: Int
    /// Windows of at most the model's length that the data was cut into.
    public let windows: Int
    public var nearTies: Int { layers.reduce(0) { $0 + $1.projections.reduce(0) { $0 + $1.nearTies } } }
}

/// Adds up routing records, token by token, skipping masked (padding) tokens.
public final class RoutingAccumulator {
    /// A token's K-th and (K+1)-th probabilities closer than this are a near tie.
    public static let tieMargin: Float = 1e-5

    private struct Sums {
        var experts = 0, topK = 0, tokens = 0, nearTies = 0
        var selected: [Int] = []
        var probabilities: [Double] = []
        var weights: [Double] = []
        var tokenEntropy = 0.0
    }

    private var sums: [String: Sums] = [:]
    private var order: [(Int, RouterSite)] = []
    public private(set) var tokens = 0

    public init() {}

    /// Adds a forward pass's records; `counted[t]` says whether token t counts.
    ///
    /// - Throws: `RoutingError.nonFiniteProbabilities` when a router gave NaN or infinite
    ///   probabilities for a counted token (its weights hold NaN or infinity, or are so large
    ///   that its logits overflow): statistics over them would be meaningless.
    public func add(_ records: [RoutingRecord], counted: [Bool]) throws {
        for record in records {
            let e = record.experts
            let bad = (0..<record.tokens).filter { token in
                counted[token] && !(0..<e).allSatisfy { record.probabilities[token * e + $0].isFinite }
            }
            if !bad.isEmpty {
                throw RoutingError.nonFiniteProbabilities(layer: record.layer, projection: record.site.checkpointName,
                                                          tokens: bad.count, firstToken: bad[0])
            }
        }
        tokens += counted.filter { $0 }.count
        for record in records {
            let key = "\(record.layer).\(record.site.checkpointName)"
            var entry = sums[key] ?? {
                order.append((record.layer, record.site))
                return Sums(experts: record.experts, topK: record.topK, selected: Array(repeating: 0, count: record.experts),
                            probabilities: Array(repeating: 0, count: record.experts), weights: Array(repeating: 0, count: record.experts))
            }()
            let (e, k) = (record.experts, record.topK)
            for token in 0..<record.tokens where counted[token] {
                entry.tokens += 1
                var entropy = 0.0
                for expert in 0..<e {
                    let p = record.probabilities[token * e + expert]
                    entry.probabilities[expert] += Double(p)
                    if p > 0 { entropy -= Double(p) * log(Double(p)) }
                }
                entry.tokenEntropy += entropy
                for slot in 0..<k {
                    let expert = Int(record.chosen[token * k + slot])
                    entry.selected[expert] += 1
                    entry.weights[expert] += Double(record.weights[token * k + slot])
                }
                if k < e {
                    // The K-th chosen probability against the best one left out.
                    let kth = record.probabilities[token * e + Int(record.chosen[token * k + k - 1])]
                    var bestLeft: Float = -1
                    for expert in 0..<e where !(0..<k).contains(where: { Int(record.chosen[token * k + $0]) == expert }) {
                        bestLeft = max(bestLeft, record.probabilities[token * e + expert])
                    }
                    if kth - bestLeft < Self.tieMargin { entry.nearTies += 1 }
                }
            }
            sums[key] = entry
        }
    }

    public func report(windows: Int) -> RoutingReport {
        var layers: [Int: [ProjectionRouting]] = [:]
        for (layer, site) in order {
            let entry = sums["\(layer).\(site.checkpointName)"]!
            layers[layer, default: []].append(ProjectionRouting(
                layer: layer, site: site, experts: entry.experts, topK: entry.topK, tokens: entry.tokens, selected: entry.selected,
                probabilitySums: entry.probabilities, weightSums: entry.weights, tokenEntropySum: entry.tokenEntropy,
                nearTies: entry.nearTies))
        }
        return RoutingReport(layers: layers.keys.sorted().map { LayerRouting(layer: $0, projections: layers[$0]!.sorted { $0.site < $1.site }) },
                             tokens: tokens, windows: windows)
    }
}

/// Routing that cannot be summarised.
public enum RoutingError: Error, Equatable, CustomStringConvertible {
    /// A router's softmax gave NaN or infinity; `firstToken` is the position within the batch.
    case nonFiniteProbabilities(layer: Int, projection: String, tokens: Int, firstToken: Int)

    public var description: String {
        switch self {
        case let .nonFiniteProbabilities(layer, projection, tokens, firstToken):
            "the router of layer \(layer) \(projection) gave NaN or infinite probabilities for \(tokens) tokens of a batch "
                + "(the first at position \(firstToken)): its weights hold NaN or infinity, or are too large for float32"
        }
    }
}
