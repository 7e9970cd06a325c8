/// A conversion refused because the target layout would compute something else.
public enum AdapterConversionError: Error, Equatable, CustomStringConvertible {
    /// The routers weigh experts by another rule than the target's (dense softmax against top-K).
    case routingRuleDiffers(framework: String, rule: String, target: String)
    /// MixLoRA's experts are whole feed-forward blocks, which no per-projection layout holds.
    case feedForwardExperts(framework: String)
    /// The reference MoLA code routes the top 2 and needs at least two experts a projection.
    case tooFewExperts(projection: String, experts: Int)
    /// PEFT LoRA holds one expert per projection.
    case severalExperts(projection: String, experts: Int)
    /// The reference layout records no top-K and its code routes 2.
    case topKDiffers(layer: Int, topK: Int, source: String)
    /// The reference config holds one `lora_alpha`, so every projection must share `scale * r`.
    case scalesDiffer(first: String, firstAlpha: Double, second: String, secondAlpha: Double)

    public var description: String {
        switch self {
        case let .routingRuleDiffers(framework, rule, target):
            "\(framework) routes by \(rule); \(target) does not, so the converted adapter would compute something else"
        case let .feedForwardExperts(framework):
            "\(framework)'s experts are whole feed-forward blocks under one router per block; no per-projection layout computes that"
        case let .tooFewExperts(projection, experts):
            "\(projection) has \(experts) expert: the reference MoLA code routes the top 2 of at least 2 experts"
        case let .severalExperts(projection, experts):
            "\(projection) has \(experts) experts and a router: PEFT LoRA holds one expert per projection"
        case let .topKDiffers(layer, topK, source):
            "layer \(layer) routes the top \(topK) (\(source)): the reference layout records no top-K and its code routes the top 2"
        case let .scalesDiffer(first, firstAlpha, second, secondAlpha):
            "\(first) scales as lora_alpha \(firstAlpha), \(second) as \(secondAlpha): the reference config holds one lora_alpha"
        }
    }
}
