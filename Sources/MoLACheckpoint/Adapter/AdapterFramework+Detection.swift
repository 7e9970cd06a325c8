/// What an adapter's tensor names say about the framework that saved it.
struct FrameworkEvidence {
    /// The first tensor of each spelling seen.
    private(set) var spellings: [AdapterTensorName.Spelling: String] = [:]
    /// The first MoE-PEFT tensor (expert, gate or block router) and its namespace.
    private(set) var moePeft: (tensor: String, namespace: String)?
    /// A `lora_A{e}` (LoRAMoE) rather than one shared `lora_A` (HydraLoRA).
    private(set) var numberedA = false

    mutating func note(_ name: String, spelling: AdapterTensorName.Spelling, matrix: AdapterTensorName.Matrix?) {
        if spellings[spelling] == nil { spellings[spelling] = name }
        if spelling == .moePeft, moePeft == nil { moePeft = (name, AdapterTensorName.namespace(of: name)) }
        if spelling == .numbered, matrix == .a { numberedA = true }
    }

    /// MixLoRA's block router counts as MoE-PEFT's spelling.
    mutating func noteBlockRouter(_ name: String) {
        note(name, spelling: .moePeft, matrix: nil)
    }

    /// The framework the names alone point to.
    ///
    /// - Throws: `AdapterError.mixedSpellings` for names of two mixture frameworks in one file.
    func framework(file: String) throws -> (framework: AdapterFramework, example: String) {
        let mixtures = spellings.filter { $0.key != .plain }.sorted { $0.key < $1.key }
        if mixtures.count > 1 {
            throw AdapterError.mixedSpellings(file: file, first: mixtures[0].value, second: mixtures[1].value)
        }
        guard let (spelling, example) = mixtures.first else {
            return (.peftLoRA, spellings[.plain] ?? "")
        }
        switch spelling {
        case .moePeft:
            let namespace = moePeft?.namespace ?? ""
            let framework = AdapterFramework.allCases.first { $0.moePeftNamespace == namespace } ?? .moePeftMoLA
            return (framework, example)
        case .numbered:
            return (numberedA ? .loraMoE : .hydraLoRA, example)
        case .reference, .plain:
            return (.molaReference, example)
        }
    }
}

extension AdapterFramework {
    /// MoE-PEFT's routing strategies (`moe_peft/adapters/__init__.py`), their mixture and rule.
    public static let routingStrategies: [(name: String, framework: AdapterFramework, rule: RoutingRule)] = [
        ("mola", .moePeftMoLA, .topK),
        ("loramoe", .moePeftLoRAMoE, .denseSoftmax),
        ("mixlora", .moePeftMixLoRA, .topK),
        ("mixlora-dynamic", .moePeftMixLoRA, .topP),
        ("mixlora-switch", .moePeftMixLoRA, .switchTop1),
    ]

    /// The framework and routing rule of an adapter, from its config and its tensor names; the
    /// two must agree.
    ///
    /// `peft_type` MOLA, LORAMOE or MIXLORA (or, without one, a `routing_strategy`) names a MoE-PEFT
    /// mixture; `LORA` with `lora_nums` names LoRAMoE or HydraLoRA (the tensors tell which);
    /// `LORA` alone, MoLA's reference layout or PEFT LoRA; no config, whatever the names say.
    ///
    /// - Throws: `AdapterError.unknownPeftType`, `.unknownRoutingStrategy`, `.routingStrategyMismatch`,
    ///   `.frameworkMismatch`, `.mixedSpellings`, `.unsupportedDoRA`.
    static func detect(config: AdapterConfig?, evidence: FrameworkEvidence, file: String) throws -> FrameworkDetection {
        if config?.useDoRA == true || config?.expertLoRA?.useDoRA == true { throw AdapterError.unsupportedDoRA(file: file) }
        let strategy = try config?.routingStrategy.map { name in
            guard let entry = routingStrategies.first(where: { $0.name == name }) else {
                throw AdapterError.unknownRoutingStrategy(file: file, strategy: name)
            }
            return entry
        }
        let (tensors, example) = try evidence.framework(file: file)
        let peftType = config?.peftType
        let configured: [AdapterFramework]
        let said: String
        switch peftType {
        case nil where strategy != nil:
            configured = [strategy!.framework]
            said = "routing_strategy \(strategy!.name) (\(strategy!.framework.displayName))"
        case nil, "LORA":
            if config?.loraNums != nil {
                configured = [.loraMoE, .hydraLoRA]
                said = "peft_type LORA with lora_nums (LoRAMoE or HydraLoRA)"
            } else {
                configured = peftType == nil ? [tensors] : [.molaReference, .peftLoRA]
                said = "peft_type LORA without lora_nums (MoLA's reference layout or PEFT LoRA)"
            }
        case let type?:
            guard let framework = allCases.first(where: { $0.moePeftType == type }) else {
                throw AdapterError.unknownPeftType(file: file, peftType: type)
            }
            if let strategy, strategy.framework != framework {
                throw AdapterError.routingStrategyMismatch(file: file, peftType: type, strategy: strategy.name)
            }
            configured = [framework]
            said = "peft_type \(type) (\(framework.displayName))"
        }
        guard configured.contains(tensors) else {
            throw AdapterError.frameworkMismatch(file: file, config: said, tensors: tensors.displayName, tensor: example)
        }
        // MoE-PEFT reads routing_strategy only for its mixtures (a LORA config's is ignored there too).
        let applied = strategy?.framework == tensors ? strategy : nil
        let names = evidence.spellings.keys.sorted().map(\.example).joined(separator: ", ")
        let configSource = config == nil ? "no adapter_config.json"
            : peftType == nil && config?.loraNums == nil && strategy == nil ? "adapter_config.json names none" : "adapter_config.json: \(said)"
        return FrameworkDetection(
            framework: tensors, rule: applied?.rule ?? tensors.defaultRoutingRule,
            frameworkSource: "tensor names (\(names)); \(configSource)",
            ruleSource: applied.map { "adapter_config.json routing_strategy \($0.name)" } ?? "the framework's forward")
    }
}

/// The framework of an adapter, its routing rule, and where each was read.
struct FrameworkDetection {
    let framework: AdapterFramework
    let rule: RoutingRule
    let frameworkSource: String
    let ruleSource: String
}
