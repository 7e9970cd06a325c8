import MoLACheckpoint

/// Typed handles on a base's parameters, resolved once when the model lays out its parameter
/// set, so forward and backward passes index views instead of looking names up.
///
/// Every lane's set shares the same layout, so one `BaseWeights` serves them all:
/// `set.values(view)` and `set.gradients(view)` point into that lane's buffers.
struct BaseWeights {
    /// One decoder layer's weights.
    struct Layer {
        /// RMSNorm before attention, [1, C].
        let inputNorm: ParameterSet.View
        /// RMSNorm before the MLP, [1, C].
        let postAttentionNorm: ParameterSet.View
        /// W0 of each projection, [Cout, Cin], indexed by `ProjectionKind.rawValue`.
        let projections: [ParameterSet.View]

        func projection(_ kind: ProjectionKind) -> ParameterSet.View { projections[kind.rawValue] }
    }

    /// Token embedding, [V, C].
    let embedding: ParameterSet.View
    let layers: [Layer]
    /// RMSNorm before the LM head, [1, C].
    let finalNorm: ParameterSet.View
    /// The LM head, [V, C]: the embedding's view when the two are tied.
    let head: ParameterSet.View

    /// The handles into `set`, laid out by `blocks(config)`.
    init(resolving set: ParameterSet, config: ModelConfig) {
        embedding = set.view(BaseTensorName.embedding)
        layers = (0..<config.layerCount).map { layer in
            Layer(inputNorm: set.view(BaseTensorName.inputNorm(layer: layer)),
                  postAttentionNorm: set.view(BaseTensorName.postAttentionNorm(layer: layer)),
                  projections: ProjectionKind.allCases.map { set.view(BaseTensorName.projection(layer: layer, $0)) })
        }
        finalNorm = set.view(BaseTensorName.finalNorm)
        head = config.tiedEmbeddings ? embedding : set.view(BaseTensorName.head)
    }

    /// The base's parameter blocks (name, rows, columns), in the order they are laid out.
    static func blocks(_ config: ModelConfig) -> [(name: String, rows: Int, columns: Int)] {
        var blocks: [(String, Int, Int)] = [(BaseTensorName.embedding, config.vocabularySize, config.hiddenSize)]
        for layer in 0..<config.layerCount {
            blocks.append((BaseTensorName.inputNorm(layer: layer), 1, config.hiddenSize))
            for kind in ProjectionKind.allCases {
                let (input, output) = config.widths(kind)
                blocks.append((BaseTensorName.projection(layer: layer, kind), output, input))
            }
            blocks.append((BaseTensorName.postAttentionNorm(layer: layer), 1, config.hiddenSize))
        }
        blocks.append((BaseTensorName.finalNorm, 1, config.hiddenSize))
        if !config.tiedEmbeddings { blocks.append((BaseTensorName.head, config.vocabularySize, config.hiddenSize)) }
        return blocks
    }
}
