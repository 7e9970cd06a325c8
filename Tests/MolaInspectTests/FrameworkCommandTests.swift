// The commands on adapters other frameworks saved (Tests/Fixtures/frameworks, see its README),
// run as a user runs them: every analysis on every format, `convert --to mola|peft` and its
// refusals, and bad configs failing with their error and writing nothing.
import Foundation
import MoLATestSupport
import Testing

@Suite final class FrameworkCommandTests {
    static let frameworks = ["moe-peft-mola", "moe-peft-loramoe", "moe-peft-mixlora", "peft-lora", "loramoe", "hydralora"]
    static let base = Fixtures.path("tiny-model/base")
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static func fixture(_ name: String) -> String { Fixtures.path("frameworks/\(name)") }

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try runMolaInspect(arguments + ["--json"])
        #expect(result.status == 0, "\(arguments): \(result.standardError)")
        return try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as! [String: Any]
    }

    @Test(arguments: FrameworkCommandTests.frameworks)
    func everyAnalysisRunsOnEveryFormat(name: String) throws {
        let path = Self.fixture(name)
        let info = try json(["info", path])
        #expect(((info["framework"] as! [String: Any])["id"] as! String).contains(name.replacingOccurrences(of: "moe-peft-", with: "")))
        for arguments in [["redundancy", path, "--projections", "all"], ["spectrum", path], ["diff", path, path]] {
            let result = try runMolaInspect(arguments)
            #expect(result.status == 0, "\(arguments): \(result.standardError)")
        }
        // check: a report and exit 0 or 1 (the random fixtures may hold warnings), never a failure.
        let check = try runMolaInspect(["check", path])
        #expect(check.status == 0 || check.status == 1, "\(check.standardError)")
        #expect(check.standardOutput.contains("errors,"), "\(check.standardOutput)")
        if ["loramoe", "hydralora", "moe-peft-loramoe"].contains(name) {
            // Dense softmax weighs every expert by design: no topk_covers_all note.
            #expect(!check.standardOutput.contains("topk_covers_all"), "\(check.standardOutput)")
        }
    }

    @Test func infoNamesFrameworkRuleAndSources() throws {
        let mixLoRA = try json(["info", Self.fixture("moe-peft-mixlora")])
        let routing = mixLoRA["routing"] as! [String: Any]
        #expect(routing["rule"] as? String == "top-k")
        #expect(routing["router_scope"] as? String == "per-feed-forward-block")
        #expect(routing["source"] as? String == "adapter_config.json routing_strategy mixlora")
        #expect((mixLoRA["top_k"] as! [String: Any])["source"] as? String == "adapter_config.json top_k")
        let hydra = try runMolaInspect(["info", Self.fixture("hydralora")])
        #expect(hydra.standardOutput.contains("framework             HydraLoRA (Clin0212/HydraLoRA)"))
        #expect(hydra.standardOutput.contains("routing               dense softmax over all experts"))
        #expect(hydra.standardOutput.contains("shared A              one lora_A for every B head"))
    }

    @Test func routingRunsEveryFormatsRule() throws {
        let tokens = try scratch.write(Array("[[1, 5, 9, 33, 100, 7], [4, 4, 200, 150, 3, 2]]".utf8), to: "tokens.json")
        for name in ["moe-peft-mola", "moe-peft-loramoe", "loramoe", "hydralora", "peft-lora"] {
            let result = try runMolaInspect(["routing", "--base", Self.base, Self.fixture(name), "--tokens", tokens])
            #expect(result.status == 0, "\(name): \(result.standardError)")
        }
        let dense = try runMolaInspect(["routing", "--base", Self.base, Self.fixture("loramoe"), "--tokens", tokens, "--top-k", "2"])
        #expect(dense.status == 64, "\(dense.standardError)")
    }

    /// MixLoRA's block router is reported as the layer's `mlp`, beside its plain attention LoRA,
    /// in the table, the JSON, the CSV and per token; `plot routing` averages over it alone.
    @Test func mixLoRAsBlockRoutingIsReportedAsMLP() throws {
        let tokens = try scratch.write(Array("[[1, 5, 9, 33, 100, 7], [4, 4, 200, 150, 3, 2]]".utf8), to: "tokens.json")
        let adapter = Self.fixture("moe-peft-mixlora"), output = scratch.path("routing.json"), perToken = scratch.path("tokens.jsonl")
        let run = try runMolaInspect(["routing", "--base", Self.base, adapter, "--tokens", tokens, "--json", "--output", output,
                                      "--per-token", perToken])
        #expect(run.status == 0, "\(run.standardError)")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as! [String: Any]
        #expect(document["top_k"] as? [Int] == [2, 2, 2] && document["tokens"] as? Int == 12)
        for layer in document["layers"] as! [[String: Any]] {
            let projections = layer["projections"] as! [String: [String: Any]]
            #expect(Set(projections.keys) == ["q_proj", "v_proj", "mlp"])
            let mlp = projections["mlp"]!, experts = mlp["experts"] as! [[String: Any]]
            #expect(experts.count == 4 && experts.reduce(0) { $0 + ($1["selected"] as! Int) } == 12 * 2)
            // The layer's balance is the block router's: plain LoRA's one expert takes no part.
            #expect(abs((layer["balance"] as! Double) - (mlp["balance"] as! Double)) < 1e-12)
        }
        let line = try String(contentsOfFile: perToken, encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
        let routes = (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["routes"] as! [String: [String: Any]]
        #expect((routes["2.mlp"]?["experts"] as? [Int])?.count == 2 && (routes["0.q_proj"]?["experts"] as? [Int]) == [0])
        let csv = try runMolaInspect(["routing", "--base", Self.base, adapter, "--tokens", tokens, "--csv"])
        #expect(csv.standardOutput.split(separator: "\n").filter { $0.hasPrefix("1,mlp,") }.count == 4, "\(csv.standardOutput)")
        let table = try runMolaInspect(["routing", "--base", Self.base, adapter, "--tokens", tokens])
        #expect(table.standardOutput.contains("    2  mlp               4"), "\(table.standardOutput)")
        let figure = scratch.path("shares.svg")
        let plot = try runMolaInspect(["plot", "routing", output, "-o", figure])
        #expect(plot.status == 0, "\(plot.standardError)")
        #expect(try String(contentsOfFile: figure, encoding: .utf8).contains("mean over mlp"))
    }

    /// The tiny base with this project's byte tokenizer (its 259 ids within the base's 300), for text.
    private func byteBase() throws -> String {
        for name in ["config.json", "model.safetensors"] {
            let target = scratch.path("byte-base/\(name)")
            if !FileManager.default.fileExists(atPath: target) {
                try scratch.write([UInt8](Data(contentsOf: URL(fileURLWithPath: "\(Self.base)/\(name)"))), to: "byte-base/\(name)")
            }
        }
        return try scratch.write(Array(#"{"tokenizer_class": "MoLAByteTokenizer"}"#.utf8), to: "byte-base/tokenizer_config.json")
            .replacingOccurrences(of: "/tokenizer_config.json", with: "")
    }

    @Test func mixLoRAIsScored() throws {
        let withAdapter = try runMolaInspect(["score", "--base", try byteBase(), Self.fixture("moe-peft-mixlora"), "--text", "mixture", "--json"])
        #expect(withAdapter.status == 0, "\(withAdapter.standardError)")
        let baseAlone = try runMolaInspect(["score", "--base", try byteBase(), "--text", "mixture", "--json"])
        let likelihood = { (output: String) in
            ((try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [[String: Any]])[0]["log_likelihood"] as! Double)
        }
        // The experts change what the base predicts.
        #expect(try likelihood(withAdapter.standardOutput) != likelihood(baseAlone.standardOutput))
    }

    @Test func moePeftMoLABecomesTheReferenceLayoutUnchanged() throws {
        let output = scratch.path("mola")
        let converted = try runMolaInspect(["convert", Self.fixture("moe-peft-mola"), "--to", "mola", "-o", output])
        #expect(converted.status == 0, "\(converted.standardError)")
        for name in ["adapter_model.bin", "adapter_config.json", "mola_config.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(name)"), "\(name)")
        }
        let info = try json(["info", output])
        #expect((info["framework"] as! [String: Any])["id"] as? String == "mola")
        #expect((info["top_k"] as! [String: Any])["source"] as? String == "mola_config.json")
        // Every expert matched to itself with zero drift.
        let diff = try json(["diff", Self.fixture("moe-peft-mola"), output])
        for layer in diff["layers"] as! [[String: Any]] {
            for (_, projection) in layer["projections"] as! [String: [String: Any]] {
                #expect(projection["permutation"] as? [Int] == [0, 1, 2, 3])
                #expect(abs(projection["mean_relative"] as! Double) < 1e-12)
            }
        }
    }

    @Test func oneExpertAdaptersBecomePEFTLoRAWithTheirScales() throws {
        let output = scratch.path("peft")
        let converted = try runMolaInspect(["convert", Self.fixture("peft-lora"), "--to", "peft", "--output", output])
        #expect(converted.status == 0, "\(converted.standardError)")
        let scales = { (info: [String: Any]) in
            (info["layers"] as! [[String: Any]]).flatMap { ($0["projections"] as! [[String: Any]]).map { $0["scale"] as! Double } }
        }
        #expect(scales(try json(["info", output])) == scales(try json(["info", Self.fixture("peft-lora")])))
        let one = try runMolaInspect(["convert", Fixtures.path("one-expert"), "--to", "peft", "-o", scratch.path("one")])
        #expect(one.status == 0, "\(one.standardError)")
    }

    @Test(arguments: [
        ("loramoe", "mola", "error: LoRAMoE (Ablustrund/LoRAMoE) routes by dense softmax over all experts (no top-K, no renormalisation); MoLA's reference code (top-2, renormalised) does not, so the converted adapter would compute something else"),
        ("moe-peft-mixlora", "mola", "error: MoE-PEFT MixLoRA's experts are whole feed-forward blocks under one router per block; no per-projection layout computes that"),
        ("moe-peft-mola", "peft", "error: layer 0 q_proj has 4 experts and a router: PEFT LoRA holds one expert per projection"),
        ("peft-lora", "mola", "error: layer 0 q_proj has 1 expert: the reference MoLA code routes the top 2 of at least 2 experts"),
    ])
    func conversionsThatWouldComputeSomethingElseAreRefused(name: String, layout: String, message: String) throws {
        let output = scratch.path("refused")
        let result = try runMolaInspect(["convert", Self.fixture(name), "--to", layout, "-o", output])
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix(message), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func convertUsageMistakes() throws {
        let path = Self.fixture("peft-lora")
        #expect(try runMolaInspect(["convert", path, "--to", "peft"]).status == 64)
        #expect(try runMolaInspect(["convert", path, "--to", "hf", "-o", scratch.path("x")]).status == 64)
        #expect(try runMolaInspect(["convert", path, "--to", "peft", "--to-hf", scratch.path("x"), "-o", scratch.path("y")]).status == 64)
        #expect(try runMolaInspect(["convert", path]).status == 64)
        // The input itself as the output: refused before anything is read or written.
        #expect(try runMolaInspect(["convert", path, "--to", "peft", "-o", path]).status != 0)
    }

    @Test func aConfigOfAnotherFrameworkFailsAndWritesNothing() throws {
        let directory = scratch.path("mismatch")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture("loramoe") + "/adapter_model.bin", toPath: directory + "/adapter_model.bin")
        try Data(#"{"peft_type": "MIXLORA", "routing_strategy": "mixlora", "num_experts": 3}"#.utf8)
            .write(to: URL(fileURLWithPath: directory + "/adapter_config.json"))
        let report = scratch.path("report.json")
        let result = try runMolaInspect(["redundancy", directory, "--json", "--output", report])
        #expect(result.status == 1)
        #expect(result.standardError.hasPrefix("error: adapter_config.json says peft_type MIXLORA (MoE-PEFT MixLoRA) but the tensors are LoRAMoE (Ablustrund/LoRAMoE)'s"),
                "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: report))
        try Data(#"{"peft_type": "LORA", "lora_nums": 3, "routing_strategy": "expert-choice"}"#.utf8)
            .write(to: URL(fileURLWithPath: directory + "/adapter_config.json"))
        let unknown = try runMolaInspect(["info", directory])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.hasPrefix("error: adapter_config.json has routing_strategy \"expert-choice\", which no reader here knows"))
    }
}
