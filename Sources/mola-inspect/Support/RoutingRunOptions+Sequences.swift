import Foundation
import MoLAText

extension RoutingRunOptions {
    /// The token sequences `--data` (through the base's tokenizer, the end token appended) or
    /// `--tokens` name, no further than `--max-tokens`; with the padding id and the tokenizer's name.
    ///
    /// - Throws: `UsageError` unless exactly one of `--data` and `--tokens` is given; the readers' errors.
    func sequences(base: OpenedBase) throws -> (sequences: [[Int]], padding: Int, tokenizer: String) {
        let dataPath = data?.path, tokensPath = tokens?.path
        guard (dataPath == nil) != (tokensPath == nil) else { throw UsageError("give one of --data FILE and --tokens FILE") }
        if let tokensPath { return (try TextDataset.loadTokens(path: tokensPath), 0, "pre-tokenised") }
        let tokenizer = try base.tokenizer()
        // Runs take tokens in order up to --max-tokens: tokenise no further than that.
        var budget = maxTokens ?? Int.max
        var encoded: [[Int]] = []
        for text in try TextDataset.load(path: dataPath!) where budget > 0 {
            let ids = tokenizer.encode(text, appendEnd: true, maxTokens: budget)
            budget -= ids.count
            encoded.append(ids)
        }
        return (encoded, tokenizer.paddingId, tokenizer.description)
    }
}
