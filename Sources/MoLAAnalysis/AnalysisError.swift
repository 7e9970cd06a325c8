/// Analyses that cannot give a trustworthy answer: one case per failure mode, each naming the
/// file and the tensors.
public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    /// Tensors hold NaN or infinity; their distances would be meaningless.
    case nonFiniteValues(file: String, tensors: [String])
    /// Experts whose `dW_i = s B_i A_i` is zero (rank 0: `B_i` all zero, say), where `metric`
    /// needs a direction (a cosine, a column space, a spectrum's shares). Named by their `B_i`.
    case zeroExperts(file: String, tensors: [String], metric: String)
    /// A LAPACK routine failed on the factors of `tensor`.
    case lapackFailed(file: String, tensor: String, routine: String, info: Int)
    /// A router's weight is missing where the `router` metric needs it.
    case missingRouter(file: String, projection: String)
    /// Two checkpoints given to `diff` differ in shape: `difference` says where.
    case shapesDiffer(first: String, second: String, difference: String)
    /// An allocation asked for fewer experts than there are layers (every layer needs one).
    case totalBelowLayerCount(total: Int, layers: Int)
    /// A layer's weight for apportioning experts is negative or not finite.
    case invalidLayerWeight(layer: Int, weight: Double)
    /// The reference rounding left a layer with no expert (`--corrected` cannot).
    case layerWithoutExperts(layer: Int, experts: Int, total: Int)
    /// A base matrix has too few eigenvalues for a power-law fit.
    case matrixTooSmallForPowerLaw(tensor: String, rows: Int, columns: Int, minimum: Int)
    /// A base matrix's `W^T W` has eigenvalues that are not positive and finite (at most
    /// `N eps lambda_max`: rank deficient; or NaN): a power-law fit takes their logarithms.
    case nonPositiveEigenvalues(tensor: String, count: Int)
    /// A target allocation asks a layer for more experts than the checkpoint has there.
    case allocationExceedsCheckpoint(layer: Int, requested: Int, available: Int)
    /// A target allocation lists a different number of layers than the checkpoint has.
    case allocationLayerCount(expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .nonFiniteValues(file, tensors):
            return "\(Self.count(tensors, "tensor")) hold NaN or infinite values: \(Self.listed(tensors)) (\(file))"
        case let .zeroExperts(file, tensors, metric):
            return "\(Self.count(tensors, "expert")) \(tensors.count == 1 ? "has" : "have") dW = s B A = 0 (rank 0, no direction), which \(metric) cannot measure: \(Self.listed(tensors)) (\(file))"
        case let .lapackFailed(file, tensor, routine, info):
            return "LAPACK \(routine) failed (info = \(info)) on the factors of \(tensor) (\(file))"
        case let .missingRouter(file, projection):
            return "\(projection) has no router weight, which the router metric compares (\(file))"
        case let .shapesDiffer(first, second, difference):
            return "the checkpoints differ in shape: \(difference) (\(first) and \(second))"
        case let .totalBelowLayerCount(total, layers):
            return "a total of \(total) experts is fewer than the \(layers) layers, and every layer needs one"
        case let .invalidLayerWeight(layer, weight):
            return "layer \(layer)'s weight \(weight) is negative or not finite, so experts cannot be shared in proportion to it"
        case let .layerWithoutExperts(layer, experts, total):
            return "the reference rounding gives layer \(layer) \(experts) experts of \(total); --corrected gives every layer at least one"
        case let .matrixTooSmallForPowerLaw(tensor, rows, columns, minimum):
            return "\(tensor) is [\(rows), \(columns)]: \(min(rows, columns)) eigenvalues, fewer than the \(minimum) a power-law fit needs; not fitted"
        case let .nonPositiveEigenvalues(tensor, count):
            return "\(tensor): \(count) eigenvalues of W^T W are zero, negative or not finite, and a power-law fit takes their logarithms"
        case let .allocationExceedsCheckpoint(layer, requested, available):
            return "the target gives layer \(layer) \(requested) experts, but the checkpoint has only \(available) there"
        case let .allocationLayerCount(expected, found):
            return "the target allocation lists \(found) layers, but the checkpoint has \(expected)"
        }
    }

    private static func count(_ items: [String], _ noun: String) -> String { "\(items.count) \(noun)\(items.count == 1 ? "" : "s")" }

    private static func listed(_ tensors: [String]) -> String {
        tensors.prefix(5).joined(separator: ", ") + (tensors.count > 5 ? ", and \(tensors.count - 5) more" : "")
    }
}
