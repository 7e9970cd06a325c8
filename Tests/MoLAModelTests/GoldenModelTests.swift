// The whole model against PyTorch: Tests/Fixtures/generate_model_golden.py runs a tiny LLaMA
// base (3 layers, hidden 64, 4 heads with 2 key/value heads, MLP 172, vocab 300) with a MoLA
// adapter (experts 2, 4, 3; top-2; balance coefficient 0.1) in float64 torch. Here the base is
// read from its Hugging Face directory and the adapter from its reference-layout
// adapter_model.bin, through this project's readers; logits, losses and every gradient must
// agree to 1e-4 (elementwise: |ours - torch| <= 1e-4 |torch| + 1e-4 max|torch| of the tensor).
import Foundation
import MoLACheckpoint
import MoLATestSupport
import Testing
@testable import MoLAModel

@Suite struct GoldenModelTests {
    static let directory = Fixtures.path("tiny-model")

    static func close(_ ours: [Float], _ theirs: [Double], _ context: String) {
        let scale = theirs.map(abs).max() ?? 0
        assertClose(ours.map(Double.init), theirs, rtol: 1e-4, atol: 1e-4 * scale, context)
    }

    @Test func logitsLossesAndEveryGradientMatchPyTorch() throws {
        let golden = try SafetensorsFile(path: "\(Self.directory)/golden.safetensors")
        let losses = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/golden-losses.json"))) as! [String: Any]
        let checkpoint = try Checkpoint(path: "\(Self.directory)/adapter")
        let model = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: checkpoint, topK: [2, 2, 2],
                                        balanceCoefficient: losses["coefficient"] as? Double, batch: 2, time: 16, threadCount: 2)
        model.trainBase = true
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let targets = try golden.record(named: "targets").doubles().map { $0 < 0 ? -1 : Int($0) }
        model.zeroGradients()
        let result = try model.forward(tokens: tokens, targets: targets)
        // Before the backward, which overwrites the logits with their gradient.
        Self.close(model.logits, try golden.record(named: "logits").doubles(), "logits")
        model.backward()
        assertClose(result.loss, losses["loss"] as! Double, rtol: 1e-5, "loss")
        assertClose(result.crossEntropy, losses["cross_entropy"] as! Double, rtol: 1e-5, "cross-entropy")
        assertClose(result.balance, losses["balance"] as! Double, rtol: 1e-5, "balance")

        var compared = 0
        for record in golden.records where record.name.hasPrefix("grad.") {
            let name = String(record.name.dropFirst(5))
            let theirs = try record.doubles()
            if name.hasPrefix("model.") || name.hasPrefix("lm_head.") {
                Self.close(model.base.read(name, from: model.base.gradients), theirs, name)
            } else {
                // base_model.model.model.layers.{l}.{block}.{proj}.{lora_A_e | router.router}.weight
                let parts = name.split(separator: ".")
                let prefix = "layers.\(parts[4]).\(parts[6])"
                let ours = parts[7] == "router" ? "\(prefix).router" : "\(prefix).\(parts[7])"
                Self.close(model.adapter.read(ours, from: model.adapter.gradients), theirs, name)
            }
            compared += 1
        }
        // Base: embedding, 3 x (2 norms + 7 projections), final norm, LM head = 30 tensors;
        // adapter: per projection 2 E + 1 (the router), 7 * (5 + 9 + 7).
        #expect(compared == 30 + 7 * (5 + 9 + 7))
    }

    /// Without targets only the chosen experts are multiplied (`forwardChosenExperts`): the
    /// logits still match PyTorch's, and, for top-1 and top-2, the dense pass's.
    @Test func chosenExpertsPassMatchesTheDensePass() throws {
        let golden = try SafetensorsFile(path: "\(Self.directory)/golden.safetensors")
        let tokens = try golden.record(named: "tokens").doubles().map { Int($0) }
        let targets = try golden.record(named: "targets").doubles().map { $0 < 0 ? -1 : Int($0) }
        let checkpoint = try Checkpoint(path: "\(Self.directory)/adapter")
        for topK in [1, 2] {
            let model = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: checkpoint,
                                            topK: [topK, topK, topK], batch: 2, time: 16, threadCount: 2)
            let tap = RoutingTap()
            model.routingTap = tap
            try model.forward(tokens: tokens, targets: targets)
            let (dense, denseRecords) = (model.logits, tap.records)
            try model.forward(tokens: tokens)
            if topK == 2 { Self.close(model.logits, try golden.record(named: "logits").doubles(), "logits") }
            let scale = Double(dense.map(abs).max()!)
            assertClose(model.logits.map(Double.init), dense.map(Double.init), rtol: 1e-5, atol: 1e-6 * scale, "top-\(topK) logits")
            #expect(tap.records.map(\.chosen) == denseRecords.map(\.chosen), "top-\(topK) choices")
        }
    }

    @Test func routingTapsRecordEveryDecision() throws {
        let checkpoint = try Checkpoint(path: "\(Self.directory)/adapter")
        let model = try LlamaModel.load(baseDirectory: "\(Self.directory)/base", adapter: checkpoint, batch: 2, time: 16)
        let tap = RoutingTap()
        model.routingTap = tap
        let golden = try SafetensorsFile(path: "\(Self.directory)/golden.safetensors")
        try model.forward(tokens: try golden.record(named: "tokens").doubles().map { Int($0) })
        #expect(tap.records.count == 3 * 7)
        let record = tap.records.first { $0.layer == 1 && $0.site == .projection(.up) }!
        #expect(record.experts == 4 && record.topK == 2 && record.tokens == 32)
        for token in 0..<32 {
            let probabilities = record.probabilities[(token * 4)..<(token * 4 + 4)]
            assertClose(Double(probabilities.reduce(0, +)), 1, rtol: 1e-5)
            let (first, second) = (Int(record.chosen[token * 2]), Int(record.chosen[token * 2 + 1]))
            #expect(first != second)
            #expect(probabilities.allSatisfy { $0 <= probabilities[token * 4 + first] })
            assertClose(Double(record.weights[token * 2] + record.weights[token * 2 + 1]), 1, rtol: 1e-6)
        }
        model.routingTap = nil
        try model.forward(tokens: try golden.record(named: "tokens").doubles().map { Int($0) })
        #expect(tap.records.count == 3 * 7)  // untouched when off
    }
}
