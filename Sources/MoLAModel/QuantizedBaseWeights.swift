import MoLACheckpoint
import MoLATensor

/// A GGUF base's matrices in their file's block quantization (those stored as Q4_0, Q4_1 or
/// Q8_0), beside the model's Float32 copy of the same values: products with one token's vector,
/// a step of generation, read these instead: 0.75 or 1.25 bytes per value instead of 4.
///
/// Only `LlamaModel.loadBase(gguf:)` makes them; any other load of the base's weights drops them,
/// and passes of a model whose base is trained never read them.
public struct QuantizedBaseWeights: Sendable {
    /// Per layer, each projection's W0 (indexed by `ProjectionKind.rawValue`), nil where the
    /// file's type has no quantized form here.
    public var projections: [[QuantizedMatrix?]]
    /// The LM head (the token embedding when the two are tied).
    public var head: QuantizedMatrix?

    init(layerCount: Int) {
        projections = Array(repeating: Array(repeating: nil, count: ProjectionKind.allCases.count), count: layerCount)
    }

    /// The matrices' bytes.
    public var byteCount: Int {
        projections.joined().reduce(head?.byteCount ?? 0) { $0 + ($1?.byteCount ?? 0) }
    }
}

/// A base matrix's quantized form and the threads its product with one row may use.
struct OneTokenProduct {
    let weights: QuantizedMatrix
    let threads: Int
}
