// Adapters of other frameworks: the structure read from the fixtures their save code wrote
// (Tests/Fixtures/frameworks, see its README), the spellings, and one test per inconsistency,
// each asserting its exact error.
import Foundation
import MoLATestSupport
import Testing
@testable import MoLACheckpoint
import MoLAFiles

@Suite final class FrameworkAdapterTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private typealias Tensor = (name: String, shape: [Int], values: [Float])

    static func fixture(_ name: String) throws -> Checkpoint {
        try Checkpoint(path: Fixtures.path("frameworks/\(name)"))
    }

    /// A matrix of `shape` with distinct values.
    private static func matrix(_ name: String, _ shape: [Int]) -> Tensor {
        (name, shape, (0..<(shape[0] * shape[1])).map { Float($0 % 7) * 0.25 + 0.1 })
    }

    /// Experts `experts` of one projection in a spelling: `A` names expert `e`'s A, `B` its B.
    private static func experts(_ experts: [Int], a: (Int) -> String, b: (Int) -> String, rank: Int = 2,
                                inputWidth: Int = 3, outputWidth: Int = 4) -> [Tensor] {
        experts.flatMap { [matrix(a($0), [rank, inputWidth]), matrix(b($0), [outputWidth, rank])] }
    }

    private var path: String { scratch.path("adapter_model.safetensors") }

    private func checkpoint(_ tensors: [Tensor], config: String? = nil) throws -> Checkpoint {
        _ = try scratch.write(safetensorsBytes(tensors: tensors), to: "adapter_model.safetensors")
        if let config { _ = try scratch.write(Array(config.utf8), to: Checkpoint.configFileName) }
        return try Checkpoint(path: scratch.path(""))
    }

    static let moePeftQ = "mola.layers.0.self_attn.q_proj"
    static let peftQ = "base_model.model.model.layers.0.mlp.gate_proj"

    private func moePeftMoLA(experts: [Int] = [0, 1], gateRows: Int = 2) -> [Tensor] {
        Self.experts(experts, a: { "\(Self.moePeftQ).experts.\($0).lora_A.weight" }, b: { "\(Self.moePeftQ).experts.\($0).lora_B.weight" })
            + [Self.matrix("\(Self.moePeftQ).moe_gate.weight", [gateRows, 3])]
    }

    @Test func parsesEveryFrameworksSpelling() {
        #expect(AdapterTensorName(parsing: "mola.layers.2.self_attn.q_proj.experts.11.lora_B.weight")
            == .expert(layer: 2, projection: .query, matrix: .b, expert: 11, spelling: .moePeft))
        #expect(AdapterTensorName(parsing: "mola.layers.2.mlp.up_proj.moe_gate.weight") == .router(layer: 2, projection: .up, spelling: .moePeft))
        #expect(AdapterTensorName(parsing: "mixlora.layers.1.mlp.moe_gate.weight") == .blockRouter(layer: 1))
        #expect(AdapterTensorName(parsing: "\(Self.peftQ).lora_A12.weight")
            == .expert(layer: 0, projection: .gate, matrix: .a, expert: 12, spelling: .numbered))
        #expect(AdapterTensorName(parsing: "\(Self.peftQ).lora_route.weight") == .router(layer: 0, projection: .gate, spelling: .numbered))
        #expect(AdapterTensorName.namespace(of: "loramoe.layers.0.self_attn.q_proj.lora_A.weight") == "loramoe")
    }

    @Test func moePeftMoLA() throws {
        let checkpoint = try Self.fixture("moe-peft-mola")
        let adapter = checkpoint.adapter
        #expect(adapter.framework == .moePeftMoLA)
        #expect(adapter.routingRule == .topK)
        #expect(adapter.allocation.expertsPerLayer == [4, 4, 4])
        #expect(adapter.projections.count == 21)
        #expect(adapter.projections.allSatisfy { $0.router?.hasSuffix("moe_gate.weight") == true && $0.scale == 2 })
        #expect(try checkpoint.topK(requested: nil) == TopKResolution(perLayer: [2, 2, 2], source: .adapterConfig))
        // 7 projections x (4 experts x 2 + a gate) x 3 layers.
        #expect(adapter.tensorCount == 189)
    }

    @Test func moePeftLoRAMoEPutsPlainLoRABesideTheMixtures() throws {
        let checkpoint = try Self.fixture("moe-peft-loramoe")
        let layer = checkpoint.adapter.layers[1]
        #expect(checkpoint.adapter.framework == .moePeftLoRAMoE)
        #expect(checkpoint.adapter.routingRule == .denseSoftmax)
        #expect(layer.projections.map(\.expertCount) == [1, 1, 3, 3, 3])
        #expect(layer.expertCount == 3)
        #expect(try checkpoint.topK(requested: nil) == TopKResolution(perLayer: [3, 3, 3], source: .routingRule(.denseSoftmax)))
        #expect(throws: TopKError.fixedByRule(.denseSoftmax)) { try checkpoint.topK(requested: 2) }
    }

    @Test func mixLoRASharesOneRouterPerBlock() throws {
        let adapter = try Self.fixture("moe-peft-mixlora").adapter
        #expect(adapter.framework == .moePeftMixLoRA)
        #expect(adapter.framework.routerScope == .feedForwardBlock)
        let mlp = adapter.layers[2].projections.filter { !$0.kind.isAttention }
        #expect(Set(mlp.map(\.router)) == ["mixlora.layers.2.mlp.moe_gate.weight"])
        #expect(mlp.map(\.routerWidth) == [64, 64, 64])
        #expect(adapter.layers[2].projection(.down)?.inputWidth == 172)
        // q, v: 2 each; gate, up, down: 8 each; one block router: 3 layers x 31 tensors.
        #expect(adapter.tensorCount == 3 * 29)
    }

    @Test func loraMoEAndHydraLoRA() throws {
        let loraMoE = try Self.fixture("loramoe").adapter
        #expect(loraMoE.framework == .loraMoE)
        #expect(loraMoE.routingRule == .denseSoftmax)
        #expect(loraMoE.projections.allSatisfy { $0.expertCount == 3 && !$0.sharesA && $0.scale == 8 })
        let hydra = try Self.fixture("hydralora").adapter
        #expect(hydra.framework == .hydraLoRA)
        #expect(hydra.projections.allSatisfy { $0.sharesA && $0.experts[0].a.hasSuffix("\($0.kind.checkpointName).lora_A.weight") })
        // Per projection one A, three B and a router: 5 tensors, 9 projections.
        #expect(hydra.tensorCount == 45)
        let down = hydra.layers[0].projection(.down)!
        #expect(down.parameterCount == 4 * 172 + 3 * 4 * 64 + 3 * 172)
    }

    @Test func peftLoRAHonoursRankAndAlphaPatterns() throws {
        let adapter = try Self.fixture("peft-lora").adapter
        #expect(adapter.framework == .peftLoRA)
        #expect(adapter.routingRule == .single)
        // r 4 alpha 8; layer 1 r 2 (rank_pattern); layer 2 alpha 4 (alpha_pattern).
        #expect(adapter.layers.map { $0.projections.map(\.scale) } == [[2, 2, 2], [4, 4, 4], [1, 1, 1]])
        #expect(adapter.layers.map(\.rank) == [4, 2, 4])
    }

    @Test func rsLoRAScalesBySquareRootOfRank() throws {
        let config = try JSONDocument.decode(AdapterConfig.self, from: Data(#"{"r": 4, "lora_alpha": 8, "use_rslora": true}"#.utf8), file: "c")
        let scaling = try config.scaling(layer: 0, kind: .query, isMixtureExpert: false, tensorRank: 4, file: "f")
        #expect(abs(scaling.scale - 4) < 1e-12)
    }

    // MARK: bad input, one exact error each

    @Test func configOfOneFrameworkTensorsOfAnother() throws {
        let tensors = Self.experts([0, 1], a: { "\(Self.peftQ).lora_A_\($0).weight" }, b: { "\(Self.peftQ).lora_B_\($0).weight" })
            + [Self.matrix("\(Self.peftQ).router.router.weight", [2, 3])]
        #expect(throws: AdapterError.frameworkMismatch(file: path, config: "peft_type MOLA (MoE-PEFT MoLA)",
                                                       tensors: "MoLA (reference layout, GCYZSL/MoLA)", tensor: "\(Self.peftQ).lora_A_0.weight")) {
            try self.checkpoint(tensors, config: #"{"peft_type": "MOLA", "num_experts": 2}"#)
        }
        #expect(throws: AdapterError.frameworkMismatch(file: path, config: "peft_type LORA without lora_nums (MoLA's reference layout or PEFT LoRA)",
                                                       tensors: "MoE-PEFT MoLA", tensor: "\(Self.moePeftQ).experts.0.lora_A.weight")) {
            try self.checkpoint(self.moePeftMoLA(), config: #"{"peft_type": "LORA"}"#)
        }
    }

    @Test func twoFrameworksSpellingsInOneFile() throws {
        let tensors = moePeftMoLA() + Self.experts([0], a: { _ in "\(Self.peftQ).lora_A_0.weight" }, b: { _ in "\(Self.peftQ).lora_B_0.weight" })
        #expect(throws: AdapterError.mixedSpellings(file: path, first: "\(Self.peftQ).lora_A_0.weight",
                                                    second: "\(Self.moePeftQ).experts.0.lora_A.weight")) {
            try self.checkpoint(tensors)
        }
    }

    @Test func expertIndicesWithGaps() throws {
        #expect(throws: AdapterError.missingExpert(file: path, layer: 0, projection: "q_proj", expert: 1, found: [0, 2])) {
            try self.checkpoint(self.moePeftMoLA(experts: [0, 2]))
        }
        let numbered = Self.experts([0, 1, 3], a: { "\(Self.peftQ).lora_A\($0).weight" }, b: { "\(Self.peftQ).lora_B\($0).weight" })
            + [Self.matrix("\(Self.peftQ).lora_route.weight", [3, 3])]
        #expect(throws: AdapterError.missingExpert(file: path, layer: 0, projection: "gate_proj", expert: 2, found: [0, 1, 3])) {
            try self.checkpoint(numbered)
        }
    }

    @Test func sharedAWhoseShapeDisagreesWithTheHeads() throws {
        let tensors = [Self.matrix("\(Self.peftQ).lora_A.weight", [3, 3])]
            + (0..<2).map { Self.matrix("\(Self.peftQ).lora_B\($0).weight", [4, 2]) }
            + [Self.matrix("\(Self.peftQ).lora_route.weight", [2, 3])]
        #expect(throws: AdapterError.sharedAShape(file: path, tensor: "\(Self.peftQ).lora_A.weight", shape: [3, 3],
                                                  head: "\(Self.peftQ).lora_B0.weight", headShape: [4, 2])) {
            try self.checkpoint(tensors, config: #"{"peft_type": "LORA", "lora_nums": 2}"#)
        }
    }

    @Test func headsWithoutASharedA() throws {
        let tensors = (0..<2).map { Self.matrix("\(Self.peftQ).lora_B\($0).weight", [4, 2]) }
            + [Self.matrix("base_model.model.model.layers.0.mlp.up_proj.lora_A.weight", [2, 3]),
               Self.matrix("base_model.model.model.layers.0.mlp.up_proj.lora_B0.weight", [4, 2]),
               Self.matrix("\(Self.peftQ).lora_route.weight", [2, 3])]
        #expect(throws: AdapterError.sharedAMissing(file: path, layer: 0, projection: "gate_proj")) {
            try self.checkpoint(tensors)
        }
    }

    @Test func routerWithTheWrongNumberOfRows() throws {
        #expect(throws: AdapterError.routerExpertMismatch(file: path, tensor: "\(Self.moePeftQ).moe_gate.weight", routerRows: 3, experts: 2)) {
            try self.checkpoint(self.moePeftMoLA(gateRows: 3))
        }
        let up = "mixlora.layers.0.mlp.up_proj"
        let mixLoRA = Self.experts([0, 1], a: { "\(up).experts.\($0).lora_A.weight" }, b: { "\(up).experts.\($0).lora_B.weight" })
            + [Self.matrix("mixlora.layers.0.mlp.moe_gate.weight", [5, 3])]
        #expect(throws: AdapterError.routerExpertMismatch(file: path, tensor: "mixlora.layers.0.mlp.moe_gate.weight", routerRows: 5, experts: 2)) {
            try self.checkpoint(mixLoRA)
        }
    }

    /// MixLoRA experts of layer `layer` on `projections` (C = 3, F = 4, rank 2), expert indices
    /// `experts`, and the layer's block router with `routerRows` rows of `routerWidth`.
    private static func mixLoRA(layer: Int, _ projections: [ProjectionKind], experts: [Int] = [0, 1], routerRows: Int = 2,
                                routerWidth: Int = 3) -> [Tensor] {
        projections.flatMap { kind in
            let prefix = "mixlora.layers.\(layer).mlp.\(kind.checkpointName)"
            let (input, output) = kind == .down ? (4, 3) : (3, 4)
            return Self.experts(experts, a: { "\(prefix).experts.\($0).lora_A.weight" }, b: { "\(prefix).experts.\($0).lora_B.weight" },
                                inputWidth: input, outputWidth: output)
        } + [matrix("mixlora.layers.\(layer).mlp.moe_gate.weight", [routerRows, routerWidth])]
    }

    static let mixLoRAConfig = #"{"peft_type": "MIXLORA", "routing_strategy": "mixlora", "num_experts": 2, "top_k": 1, "r": 2, "lora_alpha": 4, "target_modules": ["gate_proj", "up_proj", "down_proj"]}"#

    @Test func mixLoRAsBlockRouterIsReadByGateUpAndDown() throws {
        let adapter = try checkpoint(Self.mixLoRA(layer: 0, ProjectionKind.mlp) + Self.mixLoRA(layer: 1, ProjectionKind.mlp),
                                     config: Self.mixLoRAConfig).adapter
        #expect(adapter.framework == .moePeftMixLoRA)
        #expect(adapter.layers[1].projections.map(\.router) == Array(repeating: "mixlora.layers.1.mlp.moe_gate.weight", count: 3))
        // down's input is F wide; the block router reads the block's input, C wide.
        #expect(adapter.layers[1].projection(.down)?.routerWidth == 3 && adapter.layers[1].projection(.down)?.inputWidth == 4)
        #expect(adapter.feedForwardActivation == nil)
    }

    /// Every expert of a MixLoRA block is the whole MLP: a layer whose experts lack gate, up or
    /// down (that target_modules or the other layers say they carry) is its own error, as is an
    /// MLP projection whose experts number otherwise than the block's.
    @Test func mixLoRAExpertsMissingOneOfGateUpAndDown() throws {
        let incomplete = Self.mixLoRA(layer: 0, ProjectionKind.mlp) + Self.mixLoRA(layer: 1, [.gate, .up])
        #expect(throws: AdapterError.feedForwardExpertsIncomplete(file: path, layer: 1, missing: "down_proj", present: ["gate_proj", "up_proj"],
                                                                 expectedBy: "target_modules names it")) {
            try self.checkpoint(incomplete, config: Self.mixLoRAConfig)
        }
        try FileManager.default.removeItem(atPath: scratch.path(Checkpoint.configFileName))
        #expect(throws: AdapterError.feedForwardExpertsIncomplete(file: path, layer: 1, missing: "down_proj", present: ["gate_proj", "up_proj"],
                                                                 expectedBy: "other layers' experts carry it")) {
            try self.checkpoint(incomplete)
        }
        // Every layer without gate, as target_modules says: the base gate in every expert.
        let upDown = #"{"peft_type": "MIXLORA", "routing_strategy": "mixlora", "num_experts": 2, "r": 2, "target_modules": ["up_proj", "down_proj"]}"#
        let adapter = try checkpoint(Self.mixLoRA(layer: 0, [.up, .down]) + Self.mixLoRA(layer: 1, [.up, .down]), config: upDown).adapter
        #expect(adapter.projections.map(\.kind) == [.up, .down, .up, .down])
        // down with one expert beside gate's and up's two: MoE-PEFT puts no plain LoRA on a MixLoRA MLP.
        let oneDown = Self.mixLoRA(layer: 0, [.gate, .up]) + Array(Self.mixLoRA(layer: 0, [.down], experts: [0]).dropLast())
        #expect(throws: AdapterError.layerExpertCountMismatch(file: path, layer: 0, counts: ["gate_proj": 2, "up_proj": 2, "down_proj": 1])) {
            try self.checkpoint(oneDown, config: Self.mixLoRAConfig)
        }
    }

    @Test func mixLoRAsRoutersAreTheBlocksAlone() throws {
        let wide = Self.mixLoRA(layer: 0, ProjectionKind.mlp, routerWidth: 4)
        #expect(throws: AdapterError.routerWidthMismatch(file: path, tensor: "mixlora.layers.0.mlp.moe_gate.weight", routerWidth: 4, inputWidth: 3)) {
            try self.checkpoint(wide, config: Self.mixLoRAConfig)
        }
        let tall = Self.mixLoRA(layer: 0, ProjectionKind.mlp, routerRows: 3)
        #expect(throws: AdapterError.routerExpertMismatch(file: path, tensor: "mixlora.layers.0.mlp.moe_gate.weight", routerRows: 3, experts: 2)) {
            try self.checkpoint(tall, config: Self.mixLoRAConfig)
        }
        let projectionRouter = Self.mixLoRA(layer: 0, ProjectionKind.mlp) + [Self.matrix("mixlora.layers.0.mlp.up_proj.moe_gate.weight", [2, 3])]
        #expect(throws: AdapterError.projectionRouterInBlockMixture(file: path, tensor: "mixlora.layers.0.mlp.up_proj.moe_gate.weight")) {
            try self.checkpoint(projectionRouter, config: Self.mixLoRAConfig)
        }
        let unrouted = Array(Self.mixLoRA(layer: 0, ProjectionKind.mlp).dropLast())
        #expect(throws: AdapterError.missingRouter(file: path, layer: 0, projection: "gate_proj", experts: 2)) {
            try self.checkpoint(unrouted, config: Self.mixLoRAConfig)
        }
    }

    @Test func unknownPeftTypeAndRoutingStrategyAreNamed() throws {
        #expect(throws: AdapterError.unknownPeftType(file: path, peftType: "ADALORA")) {
            try self.checkpoint(self.moePeftMoLA(), config: #"{"peft_type": "ADALORA"}"#)
        }
        #expect(throws: AdapterError.unknownRoutingStrategy(file: path, strategy: "expert-choice")) {
            try self.checkpoint(self.moePeftMoLA(), config: #"{"peft_type": "MOLA", "routing_strategy": "expert-choice"}"#)
        }
        #expect(throws: AdapterError.routingStrategyMismatch(file: path, peftType: "MOLA", strategy: "mixlora")) {
            try self.checkpoint(self.moePeftMoLA(), config: #"{"peft_type": "MOLA", "routing_strategy": "mixlora"}"#)
        }
    }

    @Test func aLoRAConfigsRoutingStrategyIsIgnoredAsMoEPEFTIgnoresIt() throws {
        let tensors = Self.experts([0, 1], a: { "\(Self.peftQ).lora_A_\($0).weight" }, b: { "\(Self.peftQ).lora_B_\($0).weight" })
            + [Self.matrix("\(Self.peftQ).router.router.weight", [2, 3])]
        let adapter = try checkpoint(tensors, config: #"{"peft_type": "LORA", "routing_strategy": "loramoe"}"#).adapter
        #expect(adapter.framework == .molaReference)
        #expect(adapter.routingRule == .topK)
    }

    @Test func numExpertsDisagreesWithTheTensors() throws {
        #expect(throws: AdapterError.configExpertCount(file: path, field: "num_experts", configured: 5, layer: 0, projection: "q_proj", experts: 2)) {
            try self.checkpoint(self.moePeftMoLA(), config: #"{"peft_type": "MOLA", "num_experts": 5}"#)
        }
    }

    @Test func doraAndBadPatternsAreRefused() throws {
        #expect(throws: AdapterError.unsupportedDoRA(file: path)) {
            try self.checkpoint(self.moePeftMoLA(), config: #"{"peft_type": "MOLA", "use_dora": true}"#)
        }
        let plain = Self.experts([0], a: { _ in "\(Self.peftQ).lora_A.weight" }, b: { _ in "\(Self.peftQ).lora_B.weight" })
        #expect(throws: AdapterError.invalidPattern(file: path, field: "rank_pattern", pattern: "gate_proj(")) {
            try self.checkpoint(plain, config: #"{"peft_type": "LORA", "r": 2, "rank_pattern": {"gate_proj(": 2}}"#)
        }
    }
}
