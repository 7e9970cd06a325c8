/// A fixed-size buffer of Float that owns its memory, zero-initialised.
///
/// Activations, parameters, gradients and optimizer moments live in these; layers take raw
/// pointers into them, so hot loops carry no array bounds checks or copy-on-write.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer: negative count")
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    public subscript(index: Int) -> Float {
        get { precondition(index >= 0 && index < count, "FloatBuffer index \(index) out of 0..<\(count)"); return pointer[index] }
        set { precondition(index >= 0 && index < count, "FloatBuffer index \(index) out of 0..<\(count)"); pointer[index] = newValue }
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
