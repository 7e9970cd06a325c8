import MoLAFiles

extension MoLAAdapter {
    /// `lora_alpha` of the reference code, used when no config gives one.
    public static let referenceAlpha = 16.0

    /// Infers the adapter's structure from the names and shapes in `file` and checks it.
    ///
    /// The framework comes from the names and the config together (`AdapterFramework.detect`).
    /// Expert counts come from the expert indices present (ordered as integers) and are checked
    /// against the router rows and the config's `num_experts` / `lora_nums`; ranks come from the
    /// shapes and are checked against `config`; scales from the config (`AdapterConfig.scaling`).
    ///
    /// - Parameters:
    ///   - file: the tensor file; only names and shapes are read.
    ///   - config: the `adapter_config.json` beside it, if any.
    /// - Throws: `AdapterError` for the first inconsistency.
    public init(file: any TensorFile, config: AdapterConfig?) throws {
        let path = file.path
        var groups: [ProjectionKey: TensorGroup] = [:]
        var blockRouters: [Int: TensorDescription] = [:]
        var evidence = FrameworkEvidence()
        var ignored = 0
        var unrecognised: [String] = []
        let descriptions = file.descriptions
        for description in descriptions {
            switch AdapterTensorName(parsing: description.name) {
            case let .expert(layer, projection, matrix, expert, spelling):
                evidence.note(description.name, spelling: spelling, matrix: matrix)
                let key = ProjectionKey(layer: layer, kind: projection)
                try groups[key, default: TensorGroup()].add(description, matrix: matrix, expert: expert, file: path)
            case let .router(layer, projection, spelling):
                evidence.note(description.name, spelling: spelling, matrix: nil)
                let key = ProjectionKey(layer: layer, kind: projection)
                if let existing = groups[key]?.router {
                    throw AdapterError.duplicateTensor(file: path, first: existing.name, second: description.name)
                }
                groups[key, default: TensorGroup()].router = description
            case let .blockRouter(layer):
                evidence.noteBlockRouter(description.name)
                if let existing = blockRouters[layer] {
                    throw AdapterError.duplicateTensor(file: path, first: existing.name, second: description.name)
                }
                try TensorGroup.checkMatrix(description, file: path)
                blockRouters[layer] = description
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
        let detection = try AdapterFramework.detect(config: config, evidence: evidence, file: path)
        let framework = detection.framework
        let keysByLayer = Dictionary(grouping: groups.keys, by: \.layer)
        let layerCount = (keysByLayer.keys.max() ?? -1) + 1
        if case let .perLayer(ranks) = config?.ranks, ranks.count != layerCount {
            throw AdapterError.configRankCount(file: path, ranks: ranks.count, layers: layerCount)
        }
        let context = LoadingContext(file: path, framework: framework, config: config)
        var layers: [AdapterLayer] = []
        for layer in 0..<layerCount {
            guard let keys = keysByLayer[layer]?.sorted(by: { $0.kind < $1.kind }) else {
                throw AdapterError.missingLayer(file: path, layer: layer)
            }
            let projections = try keys.map { key in
                try groups[key]!.projection(layer: layer, kind: key.kind, blockRouter: blockRouters[layer], context: context)
            }
            try context.checkLayer(layer, projections: projections)
            layers.append(AdapterLayer(index: layer, projections: projections))
        }
        try context.checkFeedForwardExperts(layers, routers: groups.compactMap { $0.value.router?.name }.sorted())
        self.init(file: file, layers: layers, alpha: config?.alpha ?? Self.referenceAlpha, ignoredTensorCount: ignored,
                  unrecognisedAdapterTensors: unrecognised, framework: framework, routingRule: detection.rule,
                  frameworkSource: detection.frameworkSource, routingRuleSource: detection.ruleSource,
                  feedForwardActivation: framework.routerScope == .feedForwardBlock ? config?.activation : nil)
    }
}

private struct ProjectionKey: Hashable {
    let layer: Int
    let kind: ProjectionKind
}

/// What every projection of one adapter is checked against.
private struct LoadingContext {
    let file: String
    let framework: AdapterFramework
    let config: AdapterConfig?

    /// The config's expert count for a mixture projection and the field that gives it.
    var configuredExperts: (field: String, count: Int)? {
        if let count = config?.expertCount, framework.moePeftType != nil { return ("num_experts", count) }
        if let count = config?.loraNums, framework == .loraMoE || framework == .hydraLoRA { return ("lora_nums", count) }
        return nil
    }

    /// Projections of a layer have one expert count; MoE-PEFT's LoRAMoE may add plain LoRA (one
    /// expert) beside it, MixLoRA on attention only (every MLP LoRA of it is a feed-forward expert's).
    func checkLayer(_ layer: Int, projections: [ProjectionAdapter]) throws {
        let plainAllowed = { (kind: ProjectionKind) in
            framework.allowsPlainProjectionsBesideMixtures && (framework.routerScope == .projection || kind.isAttention)
        }
        let counts = Set(projections.filter { $0.expertCount > 1 || !plainAllowed($0.kind) }.map(\.expertCount))
        guard counts.count <= 1 else {
            throw AdapterError.layerExpertCountMismatch(
                file: file, layer: layer,
                counts: Dictionary(uniqueKeysWithValues: projections.map { ($0.kind.checkpointName, $0.expertCount) }))
        }
    }
}

extension LoadingContext {
    /// MixLoRA's experts are whole feed-forward blocks under one router per block: every layer's
    /// experts carry LoRA on the same MLP projections (those `target_modules` names, else those of
    /// any layer), and no projection has a router of its own (MoE-PEFT reads none).
    ///
    /// - Throws: `AdapterError.projectionRouterInBlockMixture`, `.feedForwardExpertsIncomplete`.
    func checkFeedForwardExperts(_ layers: [AdapterLayer], routers: [String]) throws {
        guard framework.routerScope == .feedForwardBlock else { return }
        if let router = routers.first {
            throw AdapterError.projectionRouterInBlockMixture(file: file, tensor: router)
        }
        let targeted = config?.targetModules.map { names in ProjectionKind.mlp.filter { names.contains($0.checkpointName) } }
        let expected = targeted ?? ProjectionKind.mlp.filter { kind in layers.contains { $0.projection(kind) != nil } }
        for layer in layers {
            let present = ProjectionKind.mlp.filter { layer.projection($0) != nil }
            if let missing = expected.first(where: { !present.contains($0) }) {
                throw AdapterError.feedForwardExpertsIncomplete(
                    file: file, layer: layer.index, missing: missing.checkpointName, present: present.map(\.checkpointName),
                    expectedBy: targeted == nil ? "other layers' experts carry it" : "target_modules names it")
            }
        }
    }
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

    /// HydraLoRA: one A for every B head, so each expert names it.
    private func sharedA(layer: Int, projection name: String, file: String) throws -> [Int: TensorDescription] {
        guard a.count == 1, let shared = a[0], !b.isEmpty else {
            throw AdapterError.sharedAMissing(file: file, layer: layer, projection: name)
        }
        if let (_, head) = b.min(by: { $0.key < $1.key }), head.shape[1] != shared.shape[0] {
            throw AdapterError.sharedAShape(file: file, tensor: shared.name, shape: shared.shape, head: head.name, headShape: head.shape)
        }
        return Dictionary(uniqueKeysWithValues: b.keys.map { ($0, shared) })
    }

    func projection(layer: Int, kind: ProjectionKind, blockRouter: TensorDescription?,
                    context: LoadingContext) throws -> ProjectionAdapter {
        let file = context.file
        let name = kind.checkpointName
        let a = context.framework.expertsShareA ? try sharedA(layer: layer, projection: name, file: file) : self.a
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
        // MixLoRA's block router serves the MLP's mixtures; its width is the block's input (gate's, up's).
        let sharedRouter = router == nil && experts.count > 1 && !kind.isAttention ? blockRouter : nil
        let routerWidth = sharedRouter?.shape[1] ?? inputWidth
        if let router = router ?? sharedRouter {
            try Self.checkMatrix(router, file: file)
            guard router.shape[0] == experts.count else {
                throw AdapterError.routerExpertMismatch(file: file, tensor: router.name, routerRows: router.shape[0],
                                                        experts: experts.count)
            }
            let width = sharedRouter == nil || kind != .down ? inputWidth : router.shape[1]
            guard router.shape[1] == width else {
                throw AdapterError.routerWidthMismatch(file: file, tensor: router.name, routerWidth: router.shape[1],
                                                       inputWidth: width)
            }
        } else if experts.count > 1 {
            throw AdapterError.missingRouter(file: file, layer: layer, projection: name, experts: experts.count)
        }
        if experts.count > 1, let (field, count) = context.configuredExperts, count != experts.count {
            throw AdapterError.configExpertCount(file: file, field: field, configured: count, layer: layer, projection: name,
                                                 experts: experts.count)
        }
        // Every MLP LoRA of MixLoRA is a feed-forward expert's, even with one expert (num_experts 1).
        let isMixtureExpert = context.framework.routerScope == .feedForwardBlock && !kind.isAttention
        let scaling = try (context.config ?? AdapterConfig()).scaling(layer: layer, kind: kind, isMixtureExpert: isMixtureExpert,
                                                                      tensorRank: rank, file: file)
        if let configured = scaling.configuredRank, configured != rank {
            throw AdapterError.configRankMismatch(file: file, layer: layer, configRank: configured, tensorRank: rank)
        }
        return ProjectionAdapter(layer: layer, kind: kind, experts: experts, router: (router ?? sharedRouter)?.name, rank: rank,
                                 inputWidth: inputWidth, outputWidth: expectedB[0], scale: scaling.scale, routerWidth: routerWidth)
    }
}
