// Adapters other frameworks saved, run on the tiny base of Tests/Fixtures/tiny-model: the logits
// must be those of each framework's own forward. MoE-PEFT's MoLA, LoRAMoE and MixLoRA adapters and
// their logits come from MoE-PEFT 2.0.2 itself (Tests/Fixtures/generate_moe_peft_fixtures.py), and
// MixLoRA's block routing too (generate_moe_peft_mixlora_routing.py); the PEFT LoRA one from PEFT
// 0.21.2 (generate_peft_fixture.py), LoRAMoE's and HydraLoRA's from
// generate_loramoe_hydra_fixtures.py, which follows their patched PEFT's save and forward code.
import Foundation
import MoLACheckpoint
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite struct FrameworkForwardTests {
    static let base = Fixtures.path("tiny-model/base")

    /// The model's logits for the fixture's tokens, beside the framework's.
    static func logits(_ name: String) throws -> (swift: [Double], framework: [Double]) {
        let directory = Fixtures.path("frameworks/\(name)")
        let golden = try openTensorFile(path: "\(directory)/golden.safetensors")
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let checkpoint = try Checkpoint(path: directory)
        let model = try LlamaModel.load(base: base, adapter: checkpoint, batch: 2, time: tokens.count / 2)
        _ = try model.forward(tokens: tokens)
        return (model.logits.map(Double.init), try golden.record(named: "logits").doubles())
    }

    @Test(arguments: ["moe-peft-mola", "moe-peft-loramoe", "moe-peft-mixlora", "peft-lora", "loramoe", "hydralora"])
    func logitsMatchTheFrameworksForward(name: String) throws {
        let (swift, framework) = try Self.logits(name)
        let scale = framework.map(abs).max() ?? 1
        assertClose(swift, framework, rtol: 1e-4, atol: 1e-4 * scale, name)
    }

    static let mixLoRA = Fixtures.path("frameworks/moe-peft-mixlora")

    /// MixLoRA's block routers decide as MoE-PEFT's: softmax of `mixlora.layers.{l}.mlp.moe_gate`
    /// over the block's input, the same top-2 per token, the same renormalised weights.
    @Test func mixLoRAsBlockRoutingIsMoEPEFTs() throws {
        let golden = try openTensorFile(path: "\(Self.mixLoRA)/golden.safetensors")
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let model = try LlamaModel.load(base: Self.base, adapter: Checkpoint(path: Self.mixLoRA), batch: 2, time: tokens.count / 2)
        let tap = RoutingTap()
        model.routingTap = tap
        try model.forward(tokens: tokens)
        let blocks = tap.records.filter { $0.site == .feedForwardBlock }
        // q and v are plain LoRA (one expert, no router); gate, up and down are routed by their block alone.
        #expect(tap.records.map(\.site) == Array(repeating: [.projection(.query), .projection(.value), .feedForwardBlock], count: 3).flatMap { $0 })
        let routing = try openTensorFile(path: "\(Self.mixLoRA)/routing.safetensors")
        let logits = try routing.record(named: "router_logits").doubles(), chosen = try routing.record(named: "chosen").doubles()
        let weights = try routing.record(named: "weights").doubles()
        #expect(blocks.count == 3)
        for record in blocks {
            #expect(record.experts == 4 && record.topK == 2 && record.tokens == tokens.count)
            let rows = record.tokens * record.experts, slots = record.tokens * record.topK
            let probabilities = stride(from: 0, to: rows, by: record.experts).flatMap { row in
                let part = logits[(record.layer * rows + row)..<(record.layer * rows + row + record.experts)]
                let largest = part.max()!, total = part.reduce(0) { $0 + exp($1 - largest) }
                return part.map { exp($0 - largest) / total }
            }
            assertClose(record.probabilities.map(Double.init), probabilities, rtol: 0, atol: 1e-5, "layer \(record.layer) probabilities")
            #expect(record.chosen.map(Int.init) == chosen[(record.layer * slots)..<((record.layer + 1) * slots)].map { Int($0) },
                    "layer \(record.layer) choices")
            assertClose(record.weights.map(Double.init), Array(weights[(record.layer * slots)..<((record.layer + 1) * slots)]),
                        rtol: 0, atol: 1e-5, "layer \(record.layer) weights")
        }
    }

    /// The layer-by-layer model of `routing` and `score`, and the key/value-cache generator of
    /// `generate` and `eval`, run the same feed-forward experts.
    @Test func mixLoRARunsAlikeLayerByLayerAndInTheGenerator() throws {
        let golden = try openTensorFile(path: "\(Self.mixLoRA)/golden.safetensors")
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let expected = try golden.record(named: "logits").doubles()
        let time = tokens.count / 2, vocabulary = expected.count / tokens.count
        let scale = expected.map(abs).max() ?? 1
        let layerwise = try LayerwiseModel.load(baseDirectory: Self.base, adapter: Checkpoint(path: Self.mixLoRA), batch: 2, time: time)
        assertClose(try layerwise.logits(tokens: tokens).map(Double.init), expected, rtol: 1e-4, atol: 1e-4 * scale, "layer by layer")
        let model = try LlamaModel.load(base: Self.base, adapter: Checkpoint(path: Self.mixLoRA), batch: 1, time: time)
        let generator = try KeyValueCacheGenerator(model: model, chunkCapacity: 5)
        for sequence in 0..<2 {
            generator.reset()
            let last = try generator.feed(Array(tokens[(sequence * time)..<((sequence + 1) * time)]))
            let row = ((sequence + 1) * time - 1) * vocabulary
            assertClose(last.map(Double.init), Array(expected[row..<(row + vocabulary)]), rtol: 1e-4, atol: 1e-4 * scale, "generator \(sequence)")
        }
    }

    /// The fixture's adapter under another config, in a scratch directory.
    static func mixLoRA(config: String, in scratch: ScratchDirectory) throws -> Checkpoint {
        let weights = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(mixLoRA)/adapter_model.bin")))
        try scratch.write(weights, to: "adapter/adapter_model.bin")
        try scratch.write(Array(config.utf8), to: "adapter/adapter_config.json")
        return try Checkpoint(path: scratch.path("adapter"))
    }

    static let mixLoRAConfig = #""peft_type": "MIXLORA", "r": 4, "lora_alpha": 8, "num_experts": 4, "target_modules": ["q_proj", "v_proj", "gate_proj", "down_proj", "up_proj"]"#

    /// MoE-PEFT's other MixLoRA strategies are not implemented: top-p (`mixlora-dynamic`) weighs a
    /// varying number of experts by their unrenormalised probabilities, and `mixlora-switch`'s
    /// forward returns its input unchanged at inference (`SwitchSparseMoe.forward`).
    @Test(arguments: [("mixlora-dynamic", RoutingRule.topP), ("mixlora-switch", .switchTop1)])
    func mixLoRAsOtherStrategiesAreRefusedByName(strategy: String, rule: RoutingRule) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let checkpoint = try Self.mixLoRA(config: "{\(Self.mixLoRAConfig), \"routing_strategy\": \"\(strategy)\"}", in: scratch)
        #expect(throws: ModelError.unsupportedForward(
            framework: "MoE-PEFT MixLoRA", reason: "its routing rule is \(rule.summary), which this model does not implement")) {
            try LlamaModel.load(base: Self.base, adapter: checkpoint, batch: 1, time: 4)
        }
    }

    @Test func mixLoRAWithAnotherActivationIsRefusedByName() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let checkpoint = try Self.mixLoRA(config: "{\(Self.mixLoRAConfig), \"routing_strategy\": \"mixlora\", \"act_fn\": \"gelu_new\"}", in: scratch)
        #expect(throws: ModelError.unsupportedForward(
            framework: "MoE-PEFT MixLoRA",
            reason: "its feed-forward experts' activation is act_fn \"gelu_new\", and this model's feed-forward blocks compute SiLU")) {
            try LlamaModel.load(base: Self.base, adapter: checkpoint, batch: 1, time: 4)
        }
        // Without act_fn MoE-PEFT takes the base's hidden_act: SiLU, run here.
        let silu = try Self.mixLoRA(config: "{\(Self.mixLoRAConfig), \"routing_strategy\": \"mixlora\", \"top_k\": 2}", in: scratch)
        _ = try LlamaModel.load(base: Self.base, adapter: silu, batch: 1, time: 4)
    }

    /// MixLoRA adapters are run, not trained: a training forward refuses before any backward,
    /// and a model laid out for MoLA's routers refuses to load one.
    @Test func mixLoRAIsNotTrained() throws {
        let checkpoint = try Checkpoint(path: Self.mixLoRA)
        let model = try LlamaModel.load(base: Self.base, adapter: checkpoint, batch: 1, time: 4)
        #expect(throws: ModelError.noBackward("MoE-PEFT MixLoRA's feed-forward experts are run here, not trained: train builds MoLA adapters")) {
            try model.forward(tokens: [1, 2, 3, 4], targets: [2, 3, 4, 5], training: true)
        }
        let config = model.config
        var spec = AdapterSpec(projections: [.query, .value, .gate, .up, .down], expertsPerLayer: [4, 4, 4], rank: 4, alpha: 8)
        spec.plainProjections = [.query, .value]
        let mola = try LlamaModel(config: config, adapter: spec, batch: 1, time: 4)
        #expect(throws: ModelError.adapterMismatch(
            "the adapter (MoE-PEFT MixLoRA) has one router per feed-forward block, shared by gate_proj, up_proj and down_proj, the model one router per adapted projection")) {
            try mola.loadAdapter(checkpoint.adapter)
        }
    }
}
