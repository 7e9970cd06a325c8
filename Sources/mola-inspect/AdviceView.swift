import Foundation
import MoLAAnalysis
import MoLACheckpoint

/// `advise`'s table: the allocation in its three spellings, then each layer's count beside its evidence.
enum AdviceView {
    static func table(_ advice: AllocationAdvice) -> String {
        var header = ["\(advice.source): method \(advice.method), \(advice.total) experts over \(advice.allocation.count) layers"]
        if let beta = advice.beta, let window = advice.window {
            header.append("beta \(beta), x_min window \(window.rawValue), rounding \(advice.rounding.rawValue)")
        }
        header += [
            "paper digits:   \(advice.digits.map { _ in Allocation(expertsPerLayer: advice.allocation).shortName } ?? "none (not constant over four equal groups of layers)")",
            "per layer:      \(advice.list)   (train --allocation \(advice.list))",
            "reference code: \(advice.referenceArgument)",
            "",
        ]
        return (header + [advice.method == "alphalora" ? alphaTable(advice) : redundancyTable(advice)]).joined(separator: "\n")
    }

    private static func alphaTable(_ advice: AllocationAdvice) -> String {
        let kinds = advice.layers.first?.evidence.matrixAlphas?.kinds ?? []
        let headers = ["layer", "experts", "alpha", "alpha^beta"] + kinds.map(\.checkpointName)
        var table = TextTable(headers: headers, rightAligned: Set(0..<headers.count))
        for layer in advice.layers {
            let evidence = layer.evidence
            table.append([String(layer.layer), String(layer.experts), formatted(evidence.alpha), formatted(evidence.weight)]
                + kinds.map { formatted(evidence.matrixAlphas?[$0]) })
        }
        return table.rendered()
    }

    private static func redundancyTable(_ advice: AllocationAdvice) -> String {
        let routed = advice.method.hasSuffix("routing")
        let headers = ["layer", "now", "advised", "mean distance", "mean norm", "relative"] + (routed ? ["entropy"] : []) + ["weight"]
        var table = TextTable(headers: headers, rightAligned: Set(0..<headers.count))
        for layer in advice.layers {
            let evidence = layer.evidence
            table.append([String(layer.layer), evidence.expertsNow.map(String.init) ?? "", String(layer.experts),
                          formatted(evidence.meanDistance), formatted(evidence.meanNorm), formatted(evidence.relativeDistance)]
                + (routed ? [formatted(evidence.normalisedEntropy)] : []) + [formatted(evidence.weight)])
        }
        return table.rendered() + "\n\nrelative = mean pairwise ||dW_i - dW_j|| / mean ||dW_i|| over the attention projections (the others where only they hold experts)"
            + (routed ? "; entropy = normalised routing entropy" : "") + "; n/a: no pair, the others' mean is used"
    }
}
