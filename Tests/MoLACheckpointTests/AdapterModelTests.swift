// The adapter model inferred from names and shapes: spellings, integer expert order, and one
// test per inconsistency, each asserting its exact error.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint
import MoLAFiles

@Suite final class AdapterModelTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let prefix = "base_model.model.model.layers"

    /// An expert's A and B and a router for `experts` experts, in the given spelling.
    static func projection(layer: Int, _ name: String = "self_attn.q_proj", experts: [Int], rank: Int = 2, inputWidth: Int = 3,
                           outputWidth: Int = 4, routerRows: Int? = nil, trainerSpelling: Bool = false)
        -> [(name: String, shape: [Int], values: [Float])] {
        var tensors: [(String, [Int], [Float])] = []
        for expert in experts {
            let a = trainerSpelling ? "lora_A.default_\(expert)" : "lora_A_\(expert)"
            let b = trainerSpelling ? "lora_B.default_\(expert)" : "lora_B_\(expert)"
            tensors.append(("\(prefix).\(layer).\(name).\(a).weight", [rank, inputWidth],
                            (0..<(rank * inputWidth)).map { Float($0 + expert) }))
            tensors.append(("\(prefix).\(layer).\(name).\(b).weight", [outputWidth, rank],
                            (0..<(outputWidth * rank)).map { Float($0) * 0.5 }))
        }
        let rows = routerRows ?? experts.count
        tensors.append(("\(prefix).\(layer).\(name).router.router.weight", [rows, inputWidth],
                        Array(repeating: 0.1, count: rows * inputWidth)))
        return tensors
    }

    private func adapter(_ tensors: [(name: String, shape: [Int], values: [Float])], config: AdapterConfig? = nil) throws -> MoLAAdapter {
        let path = try scratch.write(safetensorsBytes(tensors: tensors), to: "adapter_model.safetensors")
        return try MoLAAdapter(file: try openTensorFile(path: path), config: config)
    }

    private var path: String { scratch.path("adapter_model.safetensors") }

    @Test func parsesBothSpellingsAndPlainLoRA() {
        #expect(AdapterTensorName(parsing: "\(Self.prefix).3.self_attn.q_proj.lora_A_12.weight")
            == .expert(layer: 3, projection: .query, matrix: .a, expert: 12, spelling: .reference))
        #expect(AdapterTensorName(parsing: "\(Self.prefix).0.mlp.down_proj.lora_B.default_10.weight")
            == .expert(layer: 0, projection: .down, matrix: .b, expert: 10, spelling: .reference))
        #expect(AdapterTensorName(parsing: "\(Self.prefix).1.mlp.up_proj.lora_A.weight")
            == .expert(layer: 1, projection: .up, matrix: .a, expert: 0, spelling: .plain))
        #expect(AdapterTensorName(parsing: "\(Self.prefix).1.self_attn.k_proj.router.router.weight")
            == .router(layer: 1, projection: .key, spelling: .reference))
        #expect(AdapterTensorName(parsing: "\(Self.prefix).1.self_attn.k_proj.weight") == .notAdapter)
        #expect(AdapterTensorName(parsing: "base_model.model.lm_head.lora_A_0.weight") == .unrecognisedAdapter)
        #expect(AdapterTensorName(parsing: "\(Self.prefix).1.mlp.q_proj.lora_A_0.weight") == .unrecognisedAdapter)
    }

    @Test func ordersTwelveExpertsAsIntegers() throws {
        // Written in text order: 0, 1, 10, 11, 2, ...
        let order = (0..<12).map(String.init).sorted().map { Int($0)! }
        let model = try adapter(Self.projection(layer: 0, experts: order))
        let experts = model.layers[0].projections[0].experts
        #expect(experts.count == 12)
        #expect(experts[2].a.hasSuffix("lora_A_2.weight"))
        #expect(experts[10].a.hasSuffix("lora_A_10.weight"))
    }

    @Test func infersStructureScaleAndCounts() throws {
        let tensors = Self.projection(layer: 0, experts: [0, 1]) + Self.projection(layer: 0, "mlp.up_proj", experts: [0, 1])
            + Self.projection(layer: 1, experts: [0, 1, 2, 3], trainerSpelling: true)
            + [("base_model.model.model.layers.0.self_attn.q_proj.weight", [4, 3], Array(repeating: 0, count: 12))]
        let model = try adapter(tensors, config: AdapterConfig(ranks: .perLayer([2, 2]), alpha: 8))
        #expect(model.allocation.expertsPerLayer == [2, 4])
        #expect(model.layers[0].projections.map(\.kind) == [.query, .up])
        #expect(model.layers[1].projections[0].scale == 4)
        #expect(model.ignoredTensorCount == 1)
        // Each expert: 2 * (3 + 4) = 14; router: E * 3.
        #expect(model.parameterCount == (2 * 14 + 6) * 2 + 4 * 14 + 12)
        #expect(model.tensorCount == 5 + 5 + 9)
    }

    /// A per-layer `r` list must give every layer its rank: a shorter one once left the last layers unchecked.
    @Test func rankListOfAnotherLength() throws {
        let tensors = Self.projection(layer: 0, experts: [0, 1]) + Self.projection(layer: 1, experts: [0, 1])
        #expect(throws: AdapterError.configRankCount(file: path, ranks: 1, layers: 2)) {
            try adapter(tensors, config: AdapterConfig(ranks: .perLayer([2]), alpha: 8))
        }
        #expect(throws: AdapterError.configRankCount(file: path, ranks: 3, layers: 2)) {
            try adapter(tensors, config: AdapterConfig(ranks: .perLayer([2, 2, 2]), alpha: 8))
        }
    }

    @Test func missingExpertIndex() throws {
        #expect(throws: AdapterError.missingExpert(file: path, layer: 0, projection: "q_proj", expert: 1, found: [0, 2])) {
            try adapter(Self.projection(layer: 0, experts: [0, 2], routerRows: 3))
        }
    }

    @Test func expertWithoutB() throws {
        var tensors = Self.projection(layer: 0, experts: [0, 1])
        tensors.removeAll { $0.name.hasSuffix("lora_B_1.weight") }
        #expect(throws: AdapterError.missingMatrix(file: path, layer: 0, projection: "q_proj", expert: 1, matrix: "B")) {
            try adapter(tensors)
        }
    }

    @Test func routerRowsDisagreeWithExperts() throws {
        #expect(throws: AdapterError.routerExpertMismatch(file: path, tensor: "\(Self.prefix).0.self_attn.q_proj.router.router.weight",
                                                          routerRows: 3, experts: 2)) {
            try adapter(Self.projection(layer: 0, experts: [0, 1], routerRows: 3))
        }
    }

    @Test func routerWidthDisagrees() throws {
        var tensors = Self.projection(layer: 0, experts: [0, 1])
        tensors[tensors.count - 1] = (tensors.last!.name, [2, 5], Array(repeating: 0, count: 10))
        #expect(throws: AdapterError.routerWidthMismatch(file: path, tensor: tensors.last!.name, routerWidth: 5, inputWidth: 3)) {
            try adapter(tensors)
        }
    }

    @Test func rankMismatchBetweenAAndB() throws {
        var tensors = Self.projection(layer: 0, experts: [0])
        let index = tensors.firstIndex { $0.name.hasSuffix("lora_B_0.weight") }!
        tensors[index] = (tensors[index].name, [4, 3], Array(repeating: 0, count: 12))
        #expect(throws: AdapterError.rankMismatch(file: path, tensor: tensors[index].name, aRank: 2, bRank: 3)) {
            try adapter(tensors)
        }
    }

    @Test func expertShapesDisagree() throws {
        var tensors = Self.projection(layer: 0, experts: [0, 1])
        let index = tensors.firstIndex { $0.name.hasSuffix("lora_A_1.weight") }!
        tensors[index] = (tensors[index].name, [2, 4], Array(repeating: 0, count: 8))
        #expect(throws: AdapterError.expertShapeMismatch(file: path, tensor: tensors[index].name, expected: [2, 3], found: [2, 4])) {
            try adapter(tensors)
        }
    }

    @Test func bothSpellingsOfOneExpert() throws {
        let tensors = Self.projection(layer: 0, experts: [0]) + Self.projection(layer: 0, experts: [0], trainerSpelling: true).prefix(1)
        #expect(throws: AdapterError.duplicateTensor(file: path, first: "\(Self.prefix).0.self_attn.q_proj.lora_A_0.weight",
                                                     second: "\(Self.prefix).0.self_attn.q_proj.lora_A.default_0.weight")) {
            try adapter(tensors)
        }
    }

    @Test func severalExpertsWithoutARouter() throws {
        let tensors = Self.projection(layer: 0, experts: [0, 1]).filter { !$0.name.contains("router") }
        #expect(throws: AdapterError.missingRouter(file: path, layer: 0, projection: "q_proj", experts: 2)) {
            try adapter(tensors)
        }
    }

    @Test func projectionsOfALayerDisagreeOnExpertCount() throws {
        let tensors = Self.projection(layer: 0, experts: [0, 1]) + Self.projection(layer: 0, "self_attn.v_proj", experts: [0, 1, 2])
        #expect(throws: AdapterError.layerExpertCountMismatch(file: path, layer: 0, counts: ["q_proj": 2, "v_proj": 3])) {
            try adapter(tensors)
        }
    }

    @Test func missingLayer() throws {
        #expect(throws: AdapterError.missingLayer(file: path, layer: 0)) {
            try adapter(Self.projection(layer: 1, experts: [0, 1]))
        }
    }

    @Test func configRankContradictsTensors() throws {
        #expect(throws: AdapterError.configRankMismatch(file: path, layer: 0, configRank: 8, tensorRank: 2)) {
            try adapter(Self.projection(layer: 0, experts: [0, 1]), config: AdapterConfig(ranks: .uniform(8)))
        }
    }

    @Test func noAdapterTensorsAtAll() throws {
        #expect(throws: AdapterError.noAdapterTensors(file: path, tensorCount: 1)) {
            try adapter([("model.embed_tokens.weight", [2, 2], [1, 2, 3, 4])])
        }
    }

    @Test func notAMatrix() throws {
        var tensors = Self.projection(layer: 0, experts: [0])
        tensors[0] = (tensors[0].name, [6], Array(repeating: 0, count: 6))
        #expect(throws: AdapterError.notAMatrix(file: path, tensor: tensors[0].name, shape: [6])) { try adapter(tensors) }
    }
}

@Suite struct AllocationTests {
    @Test func namesThePapersShapes() {
        func summary(_ digits: [Int], layers: Int = 32) -> String {
            Allocation(digits: digits, layerCount: layers).summary
        }
        #expect(summary([2, 4, 6, 8]) == "2468 (MoLA-▽, inverted triangle)")
        #expect(summary([8, 6, 4, 2]) == "8642 (MoLA-△, triangle)")
        #expect(summary([8, 2, 2, 8]) == "8228 (MoLA-▷◁, hourglass)")
        #expect(summary([5, 5, 5, 5]) == "5555 (MoLA-□, uniform)")
        #expect(summary([3, 1, 4, 1]) == "3141 (custom)")
        #expect(Allocation(expertsPerLayer: [2, 3, 4]).summary == "2,3,4 (MoLA-▽, inverted triangle)")
    }

    @Test func splitsDepthsThatAreNotMultiplesOfTheDigitCount() {
        // 10 layers in 4 groups: floor(g * 10 / 4) -> 0, 2, 5, 7, 10: sizes 2, 3, 2, 3.
        #expect(Allocation(digits: [2, 4, 6, 8], layerCount: 10).expertsPerLayer == [2, 2, 4, 4, 4, 6, 6, 8, 8, 8])
        #expect(Allocation(expertsPerLayer: [2, 2, 4, 4, 4, 6, 6, 8, 8, 8]).digits == [2, 4, 6, 8])
        #expect(Allocation(digits: [2, 4, 6, 8], layerCount: 32).expertsPerLayer.filter { $0 == 2 }.count == 8)
        #expect(Allocation(digits: [2, 4, 6, 8], layerCount: 32).totalExperts == 160)
    }
}

@Suite final class AdapterConfigTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    @Test func rankAsListOrNumber() throws {
        let list = try scratch.write(Array(#"{"r": [8, 8, 4], "lora_alpha": 16, "target_modules": ["q_proj"]}"#.utf8), to: "a.json")
        #expect(try AdapterConfig(path: list).ranks == .perLayer([8, 8, 4]))
        let number = try scratch.write(Array(#"{"r": 8, "lora_alpha": 32.0, "target_modules": "q_proj"}"#.utf8), to: "b.json")
        let config = try AdapterConfig(path: number)
        #expect(config.ranks == .uniform(8))
        #expect(config.alpha == 32)
        #expect(config.targetModules == ["q_proj"])
    }

    @Test func invalidFields() throws {
        let path = try scratch.write(Array(#"{"r": "eight"}"#.utf8), to: "c.json")
        #expect(throws: JSONDocumentError.invalidField(file: path, field: "r", expected: "a positive integer or a list of them")) {
            try AdapterConfig(path: path)
        }
        let notObject = try scratch.write(Array("[1]".utf8), to: "d.json")
        #expect(throws: JSONDocumentError.notJSON(file: notObject, reason: "the top level is not an object")) { try AdapterConfig(path: notObject) }
        let notJSON = try scratch.write(Array("{r: 8".utf8), to: "e.json")
        #expect(throws: JSONDocumentError.notJSON(file: notJSON, reason: "not valid JSON")) { try AdapterConfig(path: notJSON) }
        let badAlpha = try scratch.write(Array(#"{"r": 8, "lora_alpha": -1}"#.utf8), to: "f.json")
        #expect(throws: JSONDocumentError.invalidField(file: badAlpha, field: "lora_alpha", expected: "a positive number")) {
            try AdapterConfig(path: badAlpha)
        }
        // Booleans are not numbers (JSONDecoder on Linux refuses them; this pins it), nor are non-finite or out-of-range values.
        for (field, json, expected) in [
            ("lora_alpha", #"{"r": 8, "lora_alpha": true}"#, "a number"),
            ("r", #"{"r": true}"#, "a positive integer or a list of them"),
            ("r", #"{"r": [8, false]}"#, "a positive integer or a list of them"),
            ("lora_dropout", #"{"r": 8, "lora_dropout": true}"#, "a number"),
            ("lora_dropout", #"{"r": 8, "lora_dropout": -0.5}"#, "a number of at least 0 and less than 1"),
            ("lora_dropout", #"{"r": 8, "lora_dropout": 1}"#, "a number of at least 0 and less than 1"),
        ] {
            let file = try scratch.write(Array(json.utf8), to: "field.json")
            #expect(throws: JSONDocumentError.invalidField(file: file, field: field, expected: expected), "\(json)") {
                try AdapterConfig(path: file)
            }
        }
        let wrongType = try scratch.write(Array(#"{"r": 8, "peft_type": 3, "unknown_field": {"x": 1}}"#.utf8), to: "g.json")
        #expect(throws: JSONDocumentError.invalidField(file: wrongType, field: "peft_type", expected: "a string")) {
            try AdapterConfig(path: wrongType)
        }
    }
}
