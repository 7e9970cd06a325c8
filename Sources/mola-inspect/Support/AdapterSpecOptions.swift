import MoLACheckpoint
import MoLACommandLine
import MoLAModel

/// The MoLA adapter a fine-tune trains (`train --base`, `continual`): `--allocation`,
/// `--projections`, `--rank`, `--alpha`, `--top-k`, `--balance-loss` and `--dropout`.
struct AdapterSpecOptions: ParsableArguments {
    @Option(name: "--allocation", valueName: "DIGITS|LIST",
            help: "experts per layer: paper digits (2468, 8642, 8228, 5555, 8888) or a list 2,2,4,4 (required with --base)")
    var allocation: String?
    @Option(name: "--projections", valueName: "SET", help: "adapted projections: all, attention, mlp or a list like q_proj,v_proj")
    var projections = ProjectionSelection.all
    @Option(name: "--rank", valueName: "R", help: "LoRA rank of every expert", in: 1...4096) var rank = 8
    @Option(name: "--alpha", valueName: "A", help: "LoRA alpha (s = alpha / r)", in: 0.001...1_000_000) var alpha = 16.0
    @Option(name: "--top-k", valueName: "K", help: "experts chosen per token", in: 1...1024) var topK = 2
    @Option(name: "--balance-loss", valueName: "COEFFICIENT", help: "add the load-balancing loss with this coefficient (reference: 0.001)", in: 0...1_000_000)
    var balance: Double?
    @Option(name: "--dropout", valueName: "P", help: "dropout on the adapter input", in: 0..<1) var dropout = 0.05

    /// The adapter for a base of `layerCount` layers.
    ///
    /// - Throws: `UsageError` without `--allocation`, for one that does not fit the base, or for
    ///   a `--top-k` above a layer's experts.
    func spec(layerCount: Int) throws -> AdapterSpec {
        guard let text = allocation else { throw UsageError("missing --allocation (e.g. 2468 or 2,2,4,4)") }
        let experts = try Self.parseAllocation(text, layerCount: layerCount)
        if let layer = experts.firstIndex(where: { $0 < topK }), experts[layer] > 1 {
            throw UsageError("--top-k \(topK) exceeds the \(experts[layer]) experts of layer \(layer)")
        }
        var spec = AdapterSpec(projections: projections.kinds, expertsPerLayer: experts, rank: rank, alpha: alpha, topK: topK, dropout: dropout)
        if let coefficient = balance { spec.balanceCoefficient = coefficient }
        return spec
    }

    /// `2468` (the paper's digits over equal groups of layers) or `2,2,4,4` (one per layer).
    static func parseAllocation(_ text: String, layerCount: Int, option: String = "--allocation", owner: String = "the base") throws -> [Int] {
        if text.contains(",") {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ ($0 ?? 0) >= 1 }) else { throw UsageError("\(option) \"\(text)\" is not a list of positive integers") }
            guard parts.count == layerCount else {
                throw UsageError("\(option) lists \(parts.count) layers but \(owner) has \(layerCount)")
            }
            return parts.map { $0! }
        }
        let digits = text.compactMap { $0.wholeNumberValue }
        guard !text.isEmpty, digits.count == text.count, digits.allSatisfy({ $0 >= 1 }), digits.count <= layerCount else {
            throw UsageError("\(option) \"\(text)\" is neither the paper's digits (1-9, at most one per layer, e.g. 2468) nor a list like 2,2,4,4")
        }
        return Allocation(digits: digits, layerCount: layerCount).expertsPerLayer
    }
}
