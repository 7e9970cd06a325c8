import MoLAFiles

extension MoLAAdapter {
    /// `lora_alpha` of the reference code, used when no config gives one.
    public static let referenceAlpha = 16.0

    /// Infers the adapter's structure from the names and shapes in `file` and checks it.
    ///
    /// Expert counts come from the expert indices present (ordered as integers) and are checked
    /// against the router rows; ranks come from the shapes and are checked against `config`.
    ///
    /// - Parameters:
    ///   - file: the tensor file; only names and shapes are read.
    ///   - config: the `adapter_config.json` beside it, if any (for alpha and the ranks).
    /// - Throws: `AdapterError` for the first inconsistency.
    public init(file: any TensorFile, config: AdapterConfig?) throws {
        let path = file.path
        var groups: [ProjectionKey: TensorGroup] = [:]
        var ignored = 0
        var unrecognised: [String] = []
        let descriptions = file.descriptions
        for description in descriptions {
            switch AdapterTensorName(parsing: description.name) {
            case let .expert(layer, projection, matrix, expert):
                let key = ProjectionKey(layer: layer, kind: projection)
                try groups[key, default: TensorGroup()].add(description, matrix: matrix, expert: expert, file: path)
            case let .router(layer, projection):
                let key = ProjectionKey(layer: layer, kind: projection)
                if let existing = groups[key]?.router {
                    throw AdapterError.duplicateTensor(file: path, first: existing.name, second: description.name)
                }
                groups[key, default: TensorGroup()].router = description
            case .unrecognisedAdapter:
                unrecognised.append(description.name)
                ignored += 1
            case .notAdapter:
                ignored += 1
            }
        }
        guard !groups.isEmpty else {
            throw AdapterError.noAdapterTensors(file: path, tensorCount: descriptions.count)
        }
        let alpha = config?.alpha ?? Self.referenceAlpha
        let keysByLayer = Dictionary(grouping: groups.keys, by: \.layer)
        let layerCount = (keysByLayer.keys.max() ?? -1) + 1
        if case let .perLayer(ranks) = config?.ranks, ranks.count != layerCount {
            throw AdapterError.configRankCount(file: path, ranks: ranks.count, layers: layerCount)
        }
        var layers: [AdapterLayer] = []
        for layer in 0..<layerCount {
            guard let keys = keysByLayer[layer]?.sorted(by: { $0.kind < $1.kind }) else {
                throw AdapterError.missingLayer(file: path, layer: layer)
            }
            let projections = try keys.map { key in
                try groups[key]!.projection(layer: layer, kind: key.kind, alpha: alpha, file: path)
            }
            let counts = Set(projections.map(\.expertCount))
            guard counts.count == 1 else {
                throw AdapterError.layerExpertCountMismatch(
                    file: path, layer: layer,
                    counts: Dictionary(uniqueKeysWithValues: projections.map { ($0.kind.checkpointName, $0.expertCount) }))
            }
            if let configRank = config?.ranks?.value(ofLayer: layer),
               let mismatch = projections.first(where: { $0.rank != configRank }) {
                throw AdapterError.configRankMismatch(file: path, layer: layer, configRank: configRank,
                                                      tensorRank: mismatch.rank)
            }
            layers.append(AdapterLayer(index: layer, projections: projections))
        }
        self.init(file: file, layers: layers, alpha: alpha, ignoredTensorCount: ignored,
                  unrecognisedAdapterTensors: unrecognised)
    }
}

private struct ProjectionKey: Hashable {
    let layer: Int
    let kind: ProjectionKind
}

/// The adapter tensors of one projection, gathered by name before they are checked.
private struct TensorGroup {
    var a: [Int: TensorDescription] = [:]
    var b: [Int: TensorDescription] = [:]
    var router: TensorDescription?

    mutating func add(_ description: TensorDescription, matrix: AdapterTensorName.Matrix, expert: Int,
                      file: String) throws {
        try Self.checkMatrix(description, file: file)
        let existing = matrix == .a ? a[expert] : b[expert]
        if let existing {
            throw AdapterError.duplicateTensor(file: file, first: existing.name, second: description.name)
        }
        if matrix == .a { a[expert] = description } else { b[expert] = description }
    }

    /// An adapter matrix has two non-zero dimensions, and its values fit in memory as doubles
    /// (a torch view with zero strides can claim any shape over a few stored elements).
    static func checkMatrix(_ description: TensorDescription, file: String) throws {
        guard description.shape.count == 2 else {
            throw AdapterError.notAMatrix(file: file, tensor: description.name, shape: description.shape)
        }
        guard description.shape.allSatisfy({ $0 > 0 }) else {
            throw AdapterError.emptyMatrix(file: file, tensor: description.name, shape: description.shape)
        }
        var memory = MemoryEstimate()
        memory.add(description.elementCount, elementBytes: MemoryLayout<Double>.size)
        try memory.require(for: "tensor \(description.name) (shape \(description.shape))")
    }

    func projection(layer: Int, kind: ProjectionKind, alpha: Double, file: String) throws -> ProjectionAdapter {
        let name = kind.checkpointName
        // Indices as integers: 0, 1, 2, ..., 10, 11 (never "10" before "2").
        let indices = Set(a.keys).union(b.keys).sorted()
        guard !indices.isEmpty else {
            // A router with no experts.
            throw AdapterError.missingExpert(file: file, layer: layer, projection: name, expert: 0, found: [])
        }
        for (position, index) in indices.enumerated() where position != index {
            throw AdapterError.missingExpert(file: file, layer: layer, projection: name, expert: position, found: indices)
        }
        var experts: [(a: String, b: String)] = []
        var expectedA: [Int] = []
        var expectedB: [Int] = []
        for expert in indices {
            guard let matrixA = a[expert] else {
                throw AdapterError.missingMatrix(file: file, layer: layer, projection: name, expert: expert, matrix: "A")
            }
            guard let matrixB = b[expert] else {
                throw AdapterError.missingMatrix(file: file, layer: layer, projection: name, expert: expert, matrix: "B")
            }
            if expert == 0 {
                (expectedA, expectedB) = (matrixA.shape, matrixB.shape)
            } else {
                guard matrixA.shape == expectedA else {
                    throw AdapterError.expertShapeMismatch(file: file, tensor: matrixA.name, expected: expectedA, found: matrixA.shape)
                }
                guard matrixB.shape == expectedB else {
                    throw AdapterError.expertShapeMismatch(file: file, tensor: matrixB.name, expected: expectedB, found: matrixB.shape)
                }
            }
            guard matrixA.shape[0] == matrixB.shape[1] else {
                throw AdapterError.rankMismatch(file: file, tensor: matrixB.name, aRank: matrixA.shape[0], bRank: matrixB.shape[1])
            }
            experts.append((matrixA.name, matrixB.name))
        }
        let rank = expectedA[0]
        let inputWidth = expectedA[1]
        if let router {
            try Self.checkMatrix(router, file: file)
            guard router.shape[0] == experts.count else {
                throw AdapterError.routerExpertMismatch(file: file, tensor: router.name, routerRows: router.shape[0],
                                                        experts: experts.count)
            }
            guard router.shape[1] == inputWidth else {
                throw AdapterError.routerWidthMismatch(file: file, tensor: router.name, routerWidth: router.shape[1],
                                                       inputWidth: inputWidth)
            }
        } else if experts.count > 1 {
            throw AdapterError.missingRouter(file: file, layer: layer, projection: name, experts: experts.count)
        }
        return ProjectionAdapter(layer: layer, kind: kind, experts: experts, router: router?.name, rank: rank,
                                 inputWidth: inputWidth, outputWidth: expectedB[0],
                                 scale: rank > 0 ? alpha / Double(rank) : 0)
    }
}
