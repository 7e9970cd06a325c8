/// Named views into one contiguous buffer of parameters, with gradients (and optimizer
/// moments, for the trainer) mirroring it element for element.
///
/// The gradient buffer is allocated on first use: a set nobody differentiates (the frozen base
/// of a MoLA fine-tune, 540 MB of gradients per lane on SmolLM2-135M) never holds one.
///
/// A view is a matrix of `rows x columns` starting at `offset` with `rowStride` between rows,
/// so one expert's `B_i` can be a column block of the side-by-side `[d_out, E r]` matrix the
/// fast path multiplies with.
public final class ParameterSet: @unchecked Sendable {
    public struct View: Sendable, Equatable {
        public let offset: Int
        public let rows: Int
        public let columns: Int
        public let rowStride: Int
        public var shape: [Int] { [rows, columns] }
        public var count: Int { rows * columns }
    }

    public let values: FloatBuffer
    /// Gradients, allocated (zero) by the first access; see `hasGradients`.
    public var gradients: FloatBuffer {
        if let gradientStorage { return gradientStorage }
        let buffer = FloatBuffer(count: values.count)
        gradientStorage = buffer
        return buffer
    }
    /// Whether the gradient buffer exists yet (nothing has been accumulated into a set without one).
    public var hasGradients: Bool { gradientStorage != nil }
    private var gradientStorage: FloatBuffer?
    /// Views in the order they were declared.
    public private(set) var names: [String] = []
    public private(set) var views: [String: View] = [:]

    /// Lays out `blocks` (name, rows, columns) one after another.
    init(blocks: [(name: String, rows: Int, columns: Int)], extraViews: [(name: String, view: View)] = []) {
        var offset = 0
        var views: [String: View] = [:]
        var names: [String] = []
        for block in blocks {
            views[block.name] = View(offset: offset, rows: block.rows, columns: block.columns, rowStride: block.columns)
            names.append(block.name)
            offset += block.rows * block.columns
        }
        for (name, view) in extraViews {
            views[name] = view
            names.append(name)
        }
        self.views = views
        self.names = names
        values = FloatBuffer(count: offset)
    }

    /// A set that shares `other`'s values and views but has gradients of its own (for a worker
    /// whose gradients are summed into `other`'s afterwards).
    init(sharingValuesOf other: ParameterSet) {
        values = other.values
        names = other.names
        views = other.views
    }

    public var count: Int { values.count }

    public func view(_ name: String) -> View {
        guard let view = views[name] else { preconditionFailure("ParameterSet: no view \(name)") }
        return view
    }

    /// Pointer to the first value (or gradient) of a view.
    public func values(_ name: String) -> UnsafeMutablePointer<Float> { values(view(name)) }
    public func gradients(_ name: String) -> UnsafeMutablePointer<Float> { gradients(view(name)) }

    /// Pointer to the first value (or gradient) of a view resolved earlier: no lookup, for hot loops.
    @inline(__always)
    public func values(_ view: View) -> UnsafeMutablePointer<Float> { values.pointer + view.offset }
    @inline(__always)
    public func gradients(_ view: View) -> UnsafeMutablePointer<Float> { gradients.pointer + view.offset }

    /// Zeroes the gradients, if there are any (a set without them allocates nothing).
    public func zeroGradients() { gradientStorage?.zero() }

    /// A view's values, row-major.
    public func read(_ name: String, from buffer: FloatBuffer? = nil) -> [Float] {
        let view = view(name)
        let source = (buffer ?? values).pointer + view.offset
        var result: [Float] = []
        result.reserveCapacity(view.count)
        for row in 0..<view.rows { for column in 0..<view.columns { result.append(source[row * view.rowStride + column]) } }
        return result
    }

    /// Sets a view's values from row-major `data`.
    public func write(_ name: String, _ data: [Float]) {
        let view = view(name)
        precondition(data.count == view.count, "ParameterSet.write: \(data.count) values for \(name) \(view.shape)")
        let target = values.pointer + view.offset
        for row in 0..<view.rows { for column in 0..<view.columns { target[row * view.rowStride + column] = data[row * view.columns + column] } }
    }
}
