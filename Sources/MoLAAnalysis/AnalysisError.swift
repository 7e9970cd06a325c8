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
        }
    }

    private static func count(_ items: [String], _ noun: String) -> String { "\(items.count) \(noun)\(items.count == 1 ? "" : "s")" }

    private static func listed(_ tensors: [String]) -> String {
        tensors.prefix(5).joined(separator: ", ") + (tensors.count > 5 ? ", and \(tensors.count - 5) more" : "")
    }
}
