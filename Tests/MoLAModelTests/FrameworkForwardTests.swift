// Adapters other frameworks saved, run on the tiny base of Tests/Fixtures/tiny-model: the logits
// must be those of each framework's own forward. MoE-PEFT's MoLA and LoRAMoE adapters and their
// logits come from MoE-PEFT 2.0.2 itself (Tests/Fixtures/generate_moe_peft_fixtures.py), the
// PEFT LoRA one from PEFT 0.21.2 (generate_peft_fixture.py), LoRAMoE's and HydraLoRA's from
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

    @Test(arguments: ["moe-peft-mola", "moe-peft-loramoe", "peft-lora", "loramoe", "hydralora"])
    func logitsMatchTheFrameworksForward(name: String) throws {
        let (swift, framework) = try Self.logits(name)
        let scale = framework.map(abs).max() ?? 1
        assertClose(swift, framework, rtol: 1e-4, atol: 1e-4 * scale, name)
    }

    @Test func mixLoRAsFeedForwardExpertsAreRefusedByName() throws {
        let checkpoint = try Checkpoint(path: Fixtures.path("frameworks/moe-peft-mixlora"))
        #expect(throws: ModelError.unsupportedForward(
            framework: "MoE-PEFT MixLoRA",
            reason: "its experts are whole feed-forward blocks (the LoRA'd gate, up and down of each expert, chosen by one router per block), a forward this model does not implement")) {
            try LlamaModel.load(base: Self.base, adapter: checkpoint, batch: 1, time: 4)
        }
    }
}
