import Foundation

extension AdapterConfig {
    /// The rank, alpha and scale the config gives one adapted projection.
    ///
    /// ```
    /// r     = rank_pattern[key matching the module] ?? r (that layer's, for MoLA's list)
    /// alpha = alpha_pattern[key matching the module] ?? lora_alpha ?? 16 (MoLA's reference default)
    /// s     = alpha / r_tensor, or alpha / sqrt(r_tensor) with use_rslora
    /// ```
    /// A key matches as PEFT's `get_pattern_key` matches it: the regular expression
    /// `(.*\.)?(KEY)$` over the module path `model.layers.{l}.{self_attn|mlp}.{proj}`. Where several
    /// keys match, PEFT takes the first in the file's order; JSON objects decode unordered here, so
    /// the first in sorted order is taken. MixLoRA's experts (`isMixtureExpert`) take `expert_lora`'s
    /// `r`, `lora_alpha` and `use_rslora` where it gives them, as MoE-PEFT's `expert_config` does.
    ///
    /// - Throws: `AdapterError.invalidPattern` for a key that is not a regular expression.
    func scaling(layer: Int, kind: ProjectionKind, isMixtureExpert: Bool, tensorRank: Int, file: String) throws
        -> (configuredRank: Int?, alpha: Double, scale: Double) {
        let module = "model.layers.\(layer).\(kind.blockName).\(kind.checkpointName)"
        let expert = isMixtureExpert ? expertLoRA : nil
        var rank = expert?.rank ?? ranks?.value(ofLayer: layer)
        if let key = try Self.matchingKey(rankPattern.map { Array($0.keys) } ?? [], module: module, field: "rank_pattern", file: file) {
            rank = rankPattern?[key]
        }
        var alpha = expert?.alpha ?? self.alpha ?? MoLAAdapter.referenceAlpha
        if let key = try Self.matchingKey(alphaPattern.map { Array($0.keys) } ?? [], module: module, field: "alpha_pattern", file: file),
           let value = alphaPattern?[key] {
            alpha = value
        }
        let rsLoRA = expert?.useRSLoRA ?? useRSLoRA ?? false
        let divisor = rsLoRA ? Double(tensorRank).squareRoot() : Double(tensorRank)
        return (rank, alpha, tensorRank > 0 ? alpha / divisor : 0)
    }

    /// The first key (in sorted order) whose `(.*\.)?(KEY)$` matches the whole module path.
    private static func matchingKey(_ keys: [String], module: String, field: String, file: String) throws -> String? {
        for key in keys.sorted() {
            guard let expression = try? NSRegularExpression(pattern: "^(.*\\.)?(\(key))$") else {
                throw AdapterError.invalidPattern(file: file, field: field, pattern: key)
            }
            if expression.firstMatch(in: module, range: NSRange(module.startIndex..., in: module)) != nil { return key }
        }
        return nil
    }
}
