import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAFiles

/// What `info` shows about a checkpoint, as a table or as JSON.
struct ArchitectureCard {
    let checkpoint: Checkpoint
    let topK: [Int]
    let topKSource: TopKSource
    let nonFinite: [NonFiniteTensor]

    init(checkpoint: Checkpoint, topKFlag: Int?, nonFinite: [NonFiniteTensor]) throws {
        self.checkpoint = checkpoint
        let resolution = try checkpoint.resolveTopK(option: topKFlag)
        (topK, topKSource) = (resolution.perLayer, resolution.source)
        self.nonFinite = nonFinite
    }

    private var adapter: MoLAAdapter { checkpoint.adapter }

    /// Element types of the adapter tensors, e.g. `F32`.
    private var dtypes: [String] {
        let names = Set(adapter.projections.flatMap { $0.experts.map(\.a) + $0.experts.map(\.b) })
        return Array(Set(adapter.file.descriptions.filter { names.contains($0.name) }.map {
            $0.dtype?.rawValue ?? $0.storedTypeName
        })).sorted()
    }

    private var projectionKinds: [ProjectionKind] {
        Array(Set(adapter.projections.map(\.kind))).sorted()
    }

    private var alphaText: String {
        "\(trimmed(adapter.alpha)) (\(checkpoint.alphaSource))"
    }

    /// How each projection's scale follows from the config.
    private var scaleText: String {
        let config = checkpoint.config
        var text = config?.useRSLoRA == true ? "lora_alpha / sqrt(r) (use_rslora)" : "lora_alpha / r"
        let patterns = [("rank_pattern", config?.rankPattern?.isEmpty == false), ("alpha_pattern", config?.alphaPattern?.isEmpty == false),
                        ("expert_lora", config?.expertLoRA != nil)].filter(\.1).map(\.0)
        if !patterns.isEmpty { text += " per projection, " + patterns.joined(separator: " and ") + " applied" }
        return text
    }

    /// Where the expert counts came from, and what they were checked against.
    private var expertsSource: String {
        let checks = (adapter.routingRule == .single ? [] : ["router rows"]) + (checkpoint.config?.expertCount != nil ? ["num_experts"] : [])
            + (checkpoint.config?.loraNums != nil ? ["lora_nums"] : []) + (checkpoint.sidecar?.expertsPerLayer != nil ? ["mola_config.json"] : [])
        return "the expert indices in the tensor names" + (checks.isEmpty ? "" : ", checked against " + checks.joined(separator: ", "))
    }

    private var topKText: String {
        let values = Set(topK)
        let text = values.count == 1 ? String(values.first!) : topK.map(String.init).joined(separator: ",")
        return "\(text) (\(topKSource.reportName))"
    }

    /// `q_proj 4096->4096, ...` for one layer.
    private static func shapes(of layer: AdapterLayer) -> String {
        layer.projections.map { "\($0.kind.checkpointName) \($0.inputWidth)->\($0.outputWidth)" }.joined(separator: ", ")
    }

    /// The projection shapes when every layer has the same ones (then shown once).
    private var sharedShapes: String? {
        let all = Set(adapter.layers.map(Self.shapes(of:)))
        return all.count == 1 ? all.first : nil
    }

    var table: String {
        let allocation = adapter.allocation
        var summary = TextTable(headers: ["", ""])
        summary.append(["checkpoint", checkpoint.path])
        summary.append(["file", "\(URL(fileURLWithPath: adapter.file.path).lastPathComponent) (\(adapter.file.formatName), \(dtypes.joined(separator: ", ")))"])
        summary.append(["config", checkpoint.configPath.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "none (alpha and ranks from the tensors and defaults)"])
        if let base = checkpoint.config?.baseModel { summary.append(["base model", base]) }
        summary.append(["framework", "\(adapter.framework.displayName) (\(adapter.frameworkSource))"])
        summary.append(["routing", "\(adapter.routingRule.summary) (\(adapter.routingRuleSource))"])
        if adapter.routingRule != .single { summary.append(["routers", adapter.framework.routerScope.summary]) }
        if adapter.projections.contains(where: \.sharesA) {
            summary.append(["shared A", "one lora_A for every B head: distances between experts are B differences"])
        }
        summary.append(["experts from", expertsSource])
        summary.append(["layers", String(adapter.layers.count)])
        summary.append(["projections", projectionKinds.map(\.checkpointName).joined(separator: " ")])
        if let shapes = sharedShapes { summary.append(["shapes (d_in->d_out)", shapes]) }
        summary.append(["allocation", allocation.summary])
        summary.append(["experts per layer", allocation.expertsPerLayer.map(String.init).joined(separator: " ")
            + "  (\(allocation.totalExperts) per projection type)"])
        summary.append(["top-K", topKText])
        summary.append(["alpha", alphaText])
        summary.append(["scale", scaleText])
        if let alphas = checkpoint.sidecar?.alphaPerLayer, Set(alphas).count > 1 {
            summary.append(["alpha per layer", alphas.map(trimmed).joined(separator: " ") + " (mola_config.json)"])
        }
        if let coefficient = checkpoint.sidecar?.balanceCoefficient { summary.append(["balance loss", "coefficient \(coefficient)"]) }
        if let training = checkpoint.sidecar?.training {
            summary.append(["training", "step \(training.step) of \(training.steps), learning rate \(training.learningRate), batch \(training.batch)"
                + " (micro batch \(training.microBatch)), cutoff \(training.cutoff), seed \(training.seed)"])
        }
        summary.append(["parameters", "\(groupedDigits(adapter.parameterCount)) in \(groupedDigits(adapter.tensorCount)) tensors"])
        if adapter.ignoredTensorCount > 0 {
            summary.append(["other tensors", "\(groupedDigits(adapter.ignoredTensorCount)) not part of the adapter (base weights, ...), not read"])
        }
        if !adapter.unrecognisedAdapterTensors.isEmpty {
            summary.append(["unrecognised", adapter.unrecognisedAdapterTensors.prefix(3).joined(separator: ", ")
                + (adapter.unrecognisedAdapterTensors.count > 3 ? ", ..." : "") + " (lora_ tensors on no MoLA projection)"])
        }
        summary.append(["non-finite", nonFinite.isEmpty ? "none (every value is finite)" : "\(nonFinite.count) tensor\(nonFinite.count == 1 ? "" : "s"), listed below"])
        let header = summary.rows.map { row in
            row[0].padding(toLength: 22, withPad: " ", startingAt: 0) + row[1]
        }.joined(separator: "\n")

        let perLayerShapes = sharedShapes == nil
        var layers = TextTable(headers: ["layer", "experts", "top-K", "rank", "scale", "parameters"]
                                   + (perLayerShapes ? ["projections (d_in->d_out)"] : []),
                               rightAligned: [0, 1, 2, 3, 4, 5])
        for layer in adapter.layers {
            layers.append([String(layer.index), String(layer.expertCount), String(topK[layer.index]),
                           layer.rank.map(String.init) ?? "mixed",
                           layer.projections.first.map { trimmed($0.scale) } ?? "",
                           groupedDigits(layer.projections.reduce(0) { $0 + $1.parameterCount })]
                          + (perLayerShapes ? [Self.shapes(of: layer)] : []))
        }
        var text = header + "\n\n" + layers.rendered()
        if !nonFinite.isEmpty {
            var problems = TextTable(headers: ["tensor", "NaN", "infinite"], rightAligned: [1, 2])
            for entry in nonFinite {
                problems.append([entry.tensor, groupedDigits(entry.nanCount), groupedDigits(entry.infinityCount)])
            }
            text += "\n\nTensors holding non-finite values:\n" + problems.rendered()
        }
        return text
    }

    func json() throws -> JSONValue {
        // The sidecar's fields, as it records them (null when absent).
        let encoder = JSONValueEncoder()
        let training = try encoder.encode(checkpoint.sidecar?.training)
        let alphaPerLayer = try encoder.encode(checkpoint.sidecar?.alphaPerLayer)
        let balanceCoefficient = try encoder.encode(checkpoint.sidecar?.balanceCoefficient)
        let allocation = adapter.allocation
        let shape = allocation.shape
        let head: [(String, JSONValue)] = [
            ("checkpoint", .string(checkpoint.path)),
            ("file", .string(adapter.file.path)),
            ("format", .string(adapter.file.formatName)),
            ("dtypes", .array(dtypes.map(JSONValue.string))),
            ("config", checkpoint.configPath.map(JSONValue.string) ?? .null),
            ("sidecar", checkpoint.sidecarPath.map(JSONValue.string) ?? .null),
            ("base_model", checkpoint.config?.baseModel.map(JSONValue.string) ?? .null),
            ("framework", .object([("id", .string(adapter.framework.rawValue)), ("name", .string(adapter.framework.displayName)),
                                   ("source", .string(adapter.frameworkSource))])),
            ("routing", .object([("rule", .string(adapter.routingRule.rawValue)), ("summary", .string(adapter.routingRule.summary)),
                                 ("source", .string(adapter.routingRuleSource)),
                                 ("router_scope", .string(adapter.framework.routerScope.rawValue))])),
            ("experts_source", .string(expertsSource)),
            ("layer_count", .integer(adapter.layers.count)),
            ("projections", .array(projectionKinds.map { .string($0.checkpointName) })),
            ("allocation", .object([
                ("experts_per_layer", .array(allocation.expertsPerLayer.map(JSONValue.integer))),
                ("digits", allocation.digits.map { .string($0.map(String.init).joined()) } ?? .null),
                ("shape", .string(shape.rawValue)),
                ("shape_name", .string(shape.word)),
                ("total_experts", .integer(allocation.totalExperts)),
            ])),
            ("top_k", .object([("per_layer", .array(topK.map(JSONValue.integer))), ("source", .string(topKSource.reportName))])),
            ("alpha", .object([("value", .number(adapter.alpha)), ("source", .string(checkpoint.alphaSource))])),
            ("scale_rule", .string(scaleText)),
        ]
        let tail: [(String, JSONValue)] = [
            ("alpha_per_layer", alphaPerLayer),
            ("balance_coefficient", balanceCoefficient),
            ("training", training),
            ("parameter_count", .integer(adapter.parameterCount)),
            ("tensor_count", .integer(adapter.tensorCount)),
            ("ignored_tensor_count", .integer(adapter.ignoredTensorCount)),
            ("unrecognised_adapter_tensors", .array(adapter.unrecognisedAdapterTensors.map(JSONValue.string))),
            ("layers", .array(adapter.layers.map { layer in
                .object([
                    ("layer", .integer(layer.index)),
                    ("experts", .integer(layer.expertCount)),
                    ("top_k", .integer(topK[layer.index])),
                    ("rank", layer.rank.map(JSONValue.integer) ?? .null),
                    ("parameter_count", .integer(layer.projections.reduce(0) { $0 + $1.parameterCount })),
                    ("projections", .array(layer.projections.map { projection in
                        .object([
                            ("projection", .string(projection.kind.checkpointName)),
                            ("experts", .integer(projection.expertCount)),
                            ("rank", .integer(projection.rank)),
                            ("d_in", .integer(projection.inputWidth)),
                            ("d_out", .integer(projection.outputWidth)),
                            ("scale", .number(projection.scale)),
                            ("has_router", .bool(projection.router != nil)),
                            ("router", projection.router.map(JSONValue.string) ?? .null),
                            ("shares_a", .bool(projection.sharesA)),
                            ("parameter_count", .integer(projection.parameterCount)),
                        ])
                    })),
                ])
            })),
            ("non_finite", .array(nonFinite.map {
                .object([("tensor", .string($0.tensor)), ("nan", .integer($0.nanCount)), ("infinite", .integer($0.infinityCount))])
            })),
        ]
        return .object(head + tail)
    }
}

/// `16.0` as `16`, `0.5` as `0.5`.
func trimmed(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}

/// A failure of a command that is not a reader's error.
enum CommandError: Error, CustomStringConvertible {
    case failed(String)

    var description: String {
        switch self {
        case let .failed(message): message
        }
    }
}
