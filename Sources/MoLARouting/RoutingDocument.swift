import MoLACheckpoint
import MoLAFiles

/// The `routing --json` report: written by `routing`, read back by the plot commands (the same
/// type on both sides). Its layout is documented in README.md.
public struct RoutingDocument: Sendable, Codable {
    /// The base directory, the tokenizer the text went through (or `pre-tokenised`), the adapter.
    public var base: String
    public var tokenizer: String
    public var adapter: String
    public var topK: [Int]
    /// Where top-K came from, e.g. `mola_config.json`.
    public var topKSource: String
    public var tokens: Int
    public var windows: Int
    public var includePadding: Bool
    public var nearTies: Int
    public var layers: [Layer]

    enum CodingKeys: String, CodingKey {
        case base, tokenizer, adapter, topK = "top_k", topKSource = "top_k_source", tokens, windows
        case includePadding = "include_padding", nearTies = "near_ties", layers
    }

    public struct Layer: Sendable, Codable {
        public var layer: Int
        /// The layer's pooled balance term; nil when no projection of it has a router.
        public var balance: Double?
        /// Per router site: each routed projection's, and `mlp` for MixLoRA's feed-forward block.
        public var projections: RouterTable<Projection>
    }

    public struct Projection: Sendable, Codable {
        public var experts: [Expert]
        public var tokens: Int
        public var balance: Double
        public var entropy: Double
        public var normalisedEntropy: Double
        public var meanTokenEntropy: Double
        public var neverSelected: [Int]
        public var overloaded: [Int]
        public var nearTies: Int

        enum CodingKeys: String, CodingKey {
            case experts, tokens, balance, entropy, normalisedEntropy = "normalised_entropy"
            case meanTokenEntropy = "mean_token_entropy", neverSelected = "never_selected", overloaded, nearTies = "near_ties"
        }

        init(_ projection: ProjectionRouting) {
            let shares = projection.shares, probabilities = projection.meanProbabilities
            let weights = projection.meanWeightsWhenSelected
            experts = (0..<projection.experts).map {
                Expert(expert: $0, selected: projection.selected[$0], share: shares[$0], meanProbability: probabilities[$0],
                       meanWeightWhenSelected: weights[$0])
            }
            tokens = projection.tokens
            balance = projection.balance
            entropy = projection.entropy
            normalisedEntropy = projection.normalisedEntropy
            meanTokenEntropy = projection.meanTokenEntropy
            neverSelected = projection.neverSelected
            overloaded = projection.overloaded
            nearTies = projection.nearTies
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            experts = try container.decode([Expert].self, forKey: .experts)
            if experts.enumerated().contains(where: { $0.offset != $0.element.expert }) {
                throw JSONExpectation.error("experts numbered 0, 1, 2, ... in order", forKey: .experts, in: container)
            }
            tokens = try container.decode(Int.self, forKey: .tokens)
            // Statistics that were not finite are written as null.
            func number(_ key: CodingKeys) throws -> Double { try container.decodeIfPresent(Double.self, forKey: key) ?? .nan }
            balance = try number(.balance)
            entropy = try number(.entropy)
            normalisedEntropy = try number(.normalisedEntropy)
            meanTokenEntropy = try number(.meanTokenEntropy)
            neverSelected = try container.decode([Int].self, forKey: .neverSelected)
            overloaded = try container.decode([Int].self, forKey: .overloaded)
            nearTies = try container.decode(Int.self, forKey: .nearTies)
        }
    }

    public struct Expert: Sendable, Codable {
        public var expert: Int
        /// Times among the top-K, and that count over all selections (`tokens * K`).
        public var selected: Int
        public var share: Double
        public var meanProbability: Double
        /// Over the tokens that chose the expert; nil when none did.
        public var meanWeightWhenSelected: Double?

        enum CodingKeys: String, CodingKey {
            case expert, selected, share, meanProbability = "mean_probability", meanWeightWhenSelected = "mean_weight_when_selected"
        }
    }

    /// The report of a routing run.
    public init(base: String, tokenizer: String, adapter: String, topK: [Int], topKSource: String, includePadding: Bool,
                report: RoutingReport) {
        self.base = base
        self.tokenizer = tokenizer
        self.adapter = adapter
        self.topK = topK
        self.topKSource = topKSource
        tokens = report.tokens
        windows = report.windows
        self.includePadding = includePadding
        nearTies = report.nearTies
        layers = report.layers.map { layer in
            Layer(layer: layer.layer, balance: layer.balance,
                  projections: RouterTable(layer.projections.map { ($0.site, Projection($0)) }))
        }
    }
}
