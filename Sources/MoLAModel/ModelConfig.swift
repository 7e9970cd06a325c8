import Foundation
import MoLACheckpoint

/// The shape of a LLaMA-architecture decoder, as Hugging Face's `config.json` gives it.
public struct ModelConfig: Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var keyValueHeadCount: Int
    public var ropeTheta: Double
    public var rmsNormEpsilon: Double
    public var tiedEmbeddings: Bool

    public init(vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
                keyValueHeadCount: Int? = nil, ropeTheta: Double = 10_000, rmsNormEpsilon: Double = 1e-6,
                tiedEmbeddings: Bool = false) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount ?? headCount
        self.ropeTheta = ropeTheta
        self.rmsNormEpsilon = rmsNormEpsilon
        self.tiedEmbeddings = tiedEmbeddings
    }

    public var headDimension: Int { hiddenSize / headCount }
    public var keyValueWidth: Int { keyValueHeadCount * headDimension }

    /// The largest size `validate()` accepts, 2^31 - 1.
    public static let largestSize = Int(Int32.max)

    /// Checks the sizes are positive, bounded and fit together, and that `rope_theta` and
    /// `rms_norm_eps` are positive finite numbers.
    public func validate() throws {
        func fail(_ reason: String) -> ModelError { .invalidConfig(reason) }
        for (name, size) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                             ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
                             ("num_key_value_heads", keyValueHeadCount)] {
            guard size > 0 else { throw fail("\(name) \(size) is not positive") }
            // No real model comes near; below it, products of two sizes cannot overflow (memory is checked apart).
            guard size <= Self.largestSize else { throw fail("\(name) \(size) is larger than \(Self.largestSize)") }
        }
        guard ropeTheta.isFinite, ropeTheta > 0 else { throw fail("rope_theta \(ropeTheta) is not a positive finite number") }
        guard rmsNormEpsilon.isFinite, rmsNormEpsilon > 0 else {
            throw fail("rms_norm_eps \(rmsNormEpsilon) is not a positive finite number")
        }
        guard hiddenSize % headCount == 0 else { throw fail("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)") }
        guard headDimension % 2 == 0 else { throw fail("the head dimension \(headDimension) must be even for rotary embeddings") }
        guard headCount % keyValueHeadCount == 0 else {
            throw fail("num_attention_heads \(headCount) is not a multiple of num_key_value_heads \(keyValueHeadCount)")
        }
    }

    /// The width of a projection's input and output.
    public func widths(_ kind: ProjectionKind) -> (input: Int, output: Int) {
        switch kind {
        case .query, .output: (hiddenSize, hiddenSize)
        case .key, .value: (hiddenSize, keyValueWidth)
        case .gate, .up: (hiddenSize, intermediateSize)
        case .down: (intermediateSize, hiddenSize)
        }
    }
}

/// Failures to build, load or run a model.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case invalidConfig(String)
    case notLlama(file: String, found: String)
    /// A GGUF base whose `general.architecture` is not `llama`.
    case unsupportedArchitecture(file: String, architecture: String)
    case missingTensor(file: String, tensor: String, expected: [Int])
    case tensorShape(file: String, tensor: String, expected: [Int], found: [Int])
    case adapterMismatch(String)
    case invalidAdapter(String)
    /// An adapter whose framework's forward rule the model does not implement.
    case unsupportedForward(framework: String, reason: String)
    /// Training asked of an adapter whose forward has no backward here.
    case noBackward(String)
    case tokenOutOfRange(token: Int, position: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .invalidConfig(reason): "invalid model configuration: \(reason)"
        case let .notLlama(file, found): "not a LLaMA-family config (model_type \(found)) (\(file))"
        case let .unsupportedArchitecture(file, architecture):
            "GGUF general.architecture is \(architecture); only llama is supported (\(file))"
        case let .missingTensor(file, tensor, expected): "missing tensor \(tensor), expected shape \(expected) (\(file))"
        case let .tensorShape(file, tensor, expected, found): "tensor \(tensor) has shape \(found), expected \(expected) (\(file))"
        case let .adapterMismatch(reason): "the adapter does not fit the base: \(reason)"
        case let .invalidAdapter(reason): "invalid adapter: \(reason)"
        case let .unsupportedForward(framework, reason): "cannot run a \(framework) adapter: \(reason)"
        case let .noBackward(reason): "cannot train this adapter: \(reason)"
        case let .tokenOutOfRange(token, position, vocabularySize):
            "token id \(token) at position \(position) is outside the vocabulary of \(vocabularySize)"
        }
    }
}
