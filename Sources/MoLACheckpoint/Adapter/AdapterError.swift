/// A checkpoint whose adapter tensors do not form a consistent MoLA adapter.
public enum AdapterError: Error, Equatable, CustomStringConvertible {
    /// No tensor of the file is a MoLA/LoRA expert.
    case noAdapterTensors(file: String, tensorCount: Int)
    /// The same expert matrix under two names (e.g. both key spellings).
    case duplicateTensor(file: String, first: String, second: String)
    /// A tensor that should be a matrix is not 2-dimensional.
    case notAMatrix(file: String, tensor: String, shape: [Int])
    /// An expert or router matrix with a zero dimension.
    case emptyMatrix(file: String, tensor: String, shape: [Int])
    /// Expert indices skip a number.
    case missingExpert(file: String, layer: Int, projection: String, expert: Int, found: [Int])
    /// An expert has an A but no B, or a B but no A.
    case missingMatrix(file: String, layer: Int, projection: String, expert: Int, matrix: String)
    /// `A_i` has `aRank` rows but `B_i` has `bRank` columns.
    case rankMismatch(file: String, tensor: String, aRank: Int, bRank: Int)
    /// An expert's matrix differs in shape from expert 0's.
    case expertShapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// Several experts but no router.
    case missingRouter(file: String, layer: Int, projection: String, experts: Int)
    /// The router has a different number of rows than there are experts.
    case routerExpertMismatch(file: String, tensor: String, routerRows: Int, experts: Int)
    /// The router's width differs from the experts' input width.
    case routerWidthMismatch(file: String, tensor: String, routerWidth: Int, inputWidth: Int)
    /// Projections of one layer have different numbers of experts.
    case layerExpertCountMismatch(file: String, layer: Int, counts: [String: Int])
    /// Layers between 0 and the deepest one have no adapter.
    case missingLayer(file: String, layer: Int)
    /// `adapter_config.json` gives a rank that the tensors contradict.
    case configRankMismatch(file: String, layer: Int, configRank: Int, tensorRank: Int)
    /// `adapter_config.json` lists per-layer ranks for another number of layers than the tensors have.
    case configRankCount(file: String, ranks: Int, layers: Int)
    /// `peft_type` names no framework a reader here knows.
    case unknownPeftType(file: String, peftType: String)
    /// `routing_strategy` names no strategy MoE-PEFT has.
    case unknownRoutingStrategy(file: String, strategy: String)
    /// `routing_strategy` belongs to another `peft_type` than the config's.
    case routingStrategyMismatch(file: String, peftType: String, strategy: String)
    /// The config names one framework, the tensors are spelled as another's.
    case frameworkMismatch(file: String, config: String, tensors: String, tensor: String)
    /// The tensors mix two frameworks' spellings.
    case mixedSpellings(file: String, first: String, second: String)
    /// `num_experts` or `lora_nums` disagrees with a projection's experts.
    case configExpertCount(file: String, field: String, configured: Int, layer: Int, projection: String, experts: Int)
    /// HydraLoRA's shared A does not fit the B heads (its rows are not their columns).
    case sharedAShape(file: String, tensor: String, shape: [Int], head: String, headShape: [Int])
    /// A shared A (HydraLoRA) but no B head, or several A where one is shared.
    case sharedAMissing(file: String, layer: Int, projection: String)
    /// `use_dora`: weight-decomposed LoRA, whose magnitude vectors no analysis here accounts for.
    case unsupportedDoRA(file: String)
    /// A `rank_pattern` or `alpha_pattern` key that is not a regular expression.
    case invalidPattern(file: String, field: String, pattern: String)
    /// A router of one projection in an adapter whose routers sit on whole feed-forward blocks (MixLoRA).
    case projectionRouterInBlockMixture(file: String, tensor: String)
    /// A layer's feed-forward experts lack LoRA on an MLP projection that the config or the other
    /// layers say they carry (`present`: the projections they do carry).
    case feedForwardExpertsIncomplete(file: String, layer: Int, missing: String, present: [String], expectedBy: String)

    public var description: String {
        switch self {
        case let .noAdapterTensors(file, count):
            "none of the \(count) tensors is a MoLA or LoRA expert (lora_A_<e> / lora_A.default_<e>) (\(file))"
        case let .duplicateTensor(file, first, second):
            "tensors \(first) and \(second) are the same expert matrix (\(file))"
        case let .notAMatrix(file, tensor, shape):
            "tensor \(tensor) has shape \(shape), expected a matrix (\(file))"
        case let .emptyMatrix(file, tensor, shape):
            "tensor \(tensor) has shape \(shape): an adapter matrix has rows and columns (\(file))"
        case let .missingExpert(file, layer, projection, expert, found):
            "layer \(layer) \(projection) lacks expert \(expert) (experts present: \(found.map(String.init).joined(separator: ", "))) (\(file))"
        case let .missingMatrix(file, layer, projection, expert, matrix):
            "layer \(layer) \(projection) expert \(expert) has no lora_\(matrix) (\(file))"
        case let .rankMismatch(file, tensor, aRank, bRank):
            "rank mismatch at \(tensor): lora_A has \(aRank) rows but lora_B has \(bRank) columns (\(file))"
        case let .expertShapeMismatch(file, tensor, expected, found):
            "tensor \(tensor) has shape \(found) but expert 0 of its projection has \(expected) (\(file))"
        case let .missingRouter(file, layer, projection, experts):
            "layer \(layer) \(projection) has \(experts) experts but no router (\(file))"
        case let .routerExpertMismatch(file, tensor, rows, experts):
            "router \(tensor) has \(rows) rows but its projection has \(experts) experts (\(file))"
        case let .routerWidthMismatch(file, tensor, routerWidth, inputWidth):
            "router \(tensor) is \(routerWidth) wide but the experts' input width is \(inputWidth) (\(file))"
        case let .layerExpertCountMismatch(file, layer, counts):
            "projections of layer \(layer) have different numbers of experts: \(counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) (\(file))"
        case let .missingLayer(file, layer):
            "layer \(layer) has no adapter tensors although deeper layers do (\(file))"
        case let .configRankMismatch(file, layer, configRank, tensorRank):
            "adapter_config.json gives r = \(configRank) for layer \(layer) but its tensors have rank \(tensorRank) (\(file))"
        case let .configRankCount(file, ranks, layers):
            "adapter_config.json lists \(ranks) ranks (r) but the tensors have \(layers) layers (\(file))"
        case let .unknownPeftType(file, peftType):
            "adapter_config.json has peft_type \"\(peftType)\", which no reader here knows (LORA, MOLA, LORAMOE, MIXLORA) (\(file))"
        case let .unknownRoutingStrategy(file, strategy):
            "adapter_config.json has routing_strategy \"\(strategy)\", which no reader here knows (\(AdapterFramework.routingStrategies.map(\.name).joined(separator: ", "))) (\(file))"
        case let .routingStrategyMismatch(file, peftType, strategy):
            "adapter_config.json has peft_type \(peftType) but routing_strategy \"\(strategy)\", which belongs to another peft_type (\(file))"
        case let .frameworkMismatch(file, config, tensors, tensor):
            "adapter_config.json says \(config) but the tensors are \(tensors)'s, e.g. \(tensor) (\(file))"
        case let .mixedSpellings(file, first, second):
            "the tensors mix two frameworks' spellings: \(first) and \(second) (\(file))"
        case let .configExpertCount(file, field, configured, layer, projection, experts):
            "adapter_config.json gives \(field) = \(configured) but layer \(layer) \(projection) has \(experts) experts (\(file))"
        case let .sharedAShape(file, tensor, shape, head, headShape):
            "shared A \(tensor) has shape \(shape) but head \(head) has shape \(headShape): A's rows must be the heads' columns (\(file))"
        case let .sharedAMissing(file, layer, projection):
            "layer \(layer) \(projection) has B heads (lora_B{i}) but not exactly one shared lora_A (\(file))"
        case let .unsupportedDoRA(file):
            "adapter_config.json sets use_dora: DoRA's magnitude vectors change what the adapter computes, and no reader here takes them (\(file))"
        case let .invalidPattern(file, field, pattern):
            "adapter_config.json's \(field) key \"\(pattern)\" is not a regular expression (\(file))"
        case let .projectionRouterInBlockMixture(file, tensor):
            "router \(tensor) routes one projection, but MoE-PEFT MixLoRA routes whole feed-forward blocks (one layers.{l}.mlp.moe_gate.weight per layer) and reads no other router (\(file))"
        case let .feedForwardExpertsIncomplete(file, layer, missing, present, expectedBy):
            "layer \(layer)'s feed-forward experts have no \(missing) LoRA (experts.{e}.lora_A/B) although \(expectedBy); they have \(present.isEmpty ? "none" : present.joined(separator: ", ")) (\(file))"
        }
    }
}
