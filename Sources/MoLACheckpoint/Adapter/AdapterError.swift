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
        }
    }
}
