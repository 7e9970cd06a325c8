// `mola-inspect plot continual` and `plot accuracy`: runs of one method averaged, methods side by side, refusals.
import Foundation
import MoLATestSupport
import Testing

@Suite final class PlotExperimentTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    /// A two-domain report with R = `rows` (OP and BWT computed from it, as the reader checks).
    func report(_ name: String, allocation: [Int], rows: [[Double]], domains: [String] = ["topic", "sorting"]) throws -> String {
        let op = (rows[1][0] + rows[1][1]) / 2, bwt = rows[1][0] - rows[0][0]
        let runs = domains.enumerated().map { index, domain in
            "{\"domain\": \"\(domain)\", \"steps\": 3, \"loss\": 1.0, \"training_seconds\": 1, \"evaluation_seconds\": 1, \"checkpoint\": \"\(index + 1)-\(domain)\"}"
        }
        let text = """
            {"base": "b.gguf", "allocation": \(allocation), "top_k": \(allocation.map { min($0, 2) }), "seed": 1,
             "domains": ["\(domains[0])", "\(domains[1])"], "questions": [4, 4], "R": \(rows),
             "overall_performance": \(op), "backward_transfer": \(bwt), "runs": [\(runs.joined(separator: ", "))]}
            """
        return try scratch.write(Array(text.utf8), to: name)
    }

    @Test func seedsAreAveragedAndMethodsSideBySide() throws {
        let first = try report("a.json", allocation: [2, 4], rows: [[1.0, 0.0], [0.5, 0.75]])
        let second = try report("b.json", allocation: [2, 4], rows: [[0.5, 0.0], [0.5, 0.25]])
        let lora = try report("c.json", allocation: [1, 1], rows: [[0.75, 0.0], [0.25, 1.0]])
        let figure = scratch.path("continual.svg")
        let result = try runMolaInspect(["plot", "continual", first, second, lora, "-o", figure])
        #expect(result.status == 0, "\(result.standardError)")
        let svg = try String(contentsOfFile: figure, encoding: .utf8)
        // Mean R of the two 2,4 runs (0.75 after topic on topic), both methods, OP and BWT, the error-bar note.
        for expected in ["2,4 (2 runs)", "LoRA (1 run)", "after topic", "after sorting", "0.75", "overall performance (OP)",
                         "backward transfer (BWT)", "one standard deviation"] {
            #expect(svg.contains(expected), "missing \(expected)")
        }
        // A directory holding continual.json is read too; --labels regroups.
        let folder = scratch.path("run")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: lora, toPath: "\(folder)/continual.json")
        let relabelled = try runMolaInspect(["plot", "continual", first, folder, "--labels", "x,y", "-o", figure])
        #expect(relabelled.status == 0, "\(relabelled.standardError)")
        #expect(try String(contentsOfFile: figure, encoding: .utf8).contains("y (1 run)"))
    }

    @Test func refusals() throws {
        let first = try report("a.json", allocation: [2, 4], rows: [[1.0, 0.0], [0.5, 0.75]])
        let other = try report("b.json", allocation: [2, 4], rows: [[1.0, 0.0], [0.5, 0.75]], domains: ["topic", "arithmetic"])
        let figure = scratch.path("refused.svg")
        let mixed = try runMolaInspect(["plot", "continual", first, other, "-o", figure])
        #expect(mixed.status == 1 && mixed.standardError.contains("different domains"), "\(mixed.standardError)")
        // A report whose OP is not its R's.
        let text = try String(contentsOfFile: first, encoding: .utf8).replacingOccurrences(of: "\"overall_performance\": 0.625", with: "\"overall_performance\": 0.9")
        let broken = try scratch.write(Array(text.utf8), to: "broken.json")
        let refused = try runMolaInspect(["plot", "continual", broken, "-o", figure])
        #expect(refused.status == 1 && refused.standardError.contains("overall_performance"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: figure))
    }

    func evaluation(_ name: String, adapter: String, topic: (Int, Int), sorting: (Int, Int)) throws -> String {
        let correct = topic.0 + sorting.0, items = topic.1 + sorting.1
        let text = """
            {"base": "b.gguf", "adapter": "\(adapter)", "top_k": [2, 2], "top_k_source": "mola_config.json", "items": \(items),
             "correct": \(correct), "accuracy": \(Double(correct) / Double(items)), "groups": [
              {"name": "topic", "correct": \(topic.0), "total": \(topic.1), "accuracy": \(Double(topic.0) / Double(topic.1))},
              {"name": "sorting", "correct": \(sorting.0), "total": \(sorting.1), "accuracy": \(Double(sorting.0) / Double(sorting.1))}]}
            """
        return try scratch.write(Array(text.utf8), to: name)
    }

    @Test func accuracyBarsAverageRunsOfAMethod() throws {
        let first = try evaluation("a.json", adapter: "runs/seed-1/mola-2468", topic: (4, 4), sorting: (1, 4))
        let second = try evaluation("b.json", adapter: "runs/seed-2/mola-2468", topic: (2, 4), sorting: (1, 4))
        let other = try evaluation("c.json", adapter: "runs/seed-1/lora", topic: (3, 4), sorting: (3, 4))
        let figure = scratch.path("accuracy.svg")
        let result = try runMolaInspect(["plot", "accuracy", first, second, other, "-o", figure])
        #expect(result.status == 0, "\(result.standardError)")
        let svg = try String(contentsOfFile: figure, encoding: .utf8)
        for expected in ["mola-2468 (2 runs)", "lora (1 run)", "topic", "sorting", "all", "questions per report: 8", "one standard deviation"] {
            #expect(svg.contains(expected), "missing \(expected)")
        }
        // One label per input, or a usage error.
        let mislabelled = try runMolaInspect(["plot", "accuracy", first, second, "--labels", "x", "-o", scratch.path("mislabelled.svg")])
        #expect(mislabelled.status == 64 && mislabelled.standardError.contains("--labels has 1 names for 2 inputs"), "\(mislabelled.standardError)")
        // Counts that do not add up are refused, naming the field; nothing is written.
        let text = try String(contentsOfFile: first, encoding: .utf8).replacingOccurrences(of: "\"items\": 8", with: "\"items\": 9")
        let broken = try scratch.write(Array(text.utf8), to: "broken.json")
        let refusedFigure = scratch.path("refused.svg")
        let refused = try runMolaInspect(["plot", "accuracy", broken, "-o", refusedFigure])
        #expect(refused.status == 1 && refused.standardError.contains("groups"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: refusedFigure))
    }
}
