/// A dense row-major tensor of `Float` values with its shape.
///
/// Readers hand out tensors lazily (see `MoLACheckpoint`); this is the materialised form for
/// code that wants the values in memory.
public struct Tensor: Sendable, Equatable {
    /// Sizes of each dimension, outermost first.
    public let shape: [Int]
    /// `shape.reduce(1, *)` values in row-major order.
    public var values: [Float]

    /// Creates a tensor; the number of values must match the shape (caller misuse traps).
    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == values.count,
                     "Tensor: \(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Number of elements.
    public var elementCount: Int { values.count }
}
