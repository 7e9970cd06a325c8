// `mola-inspect routing --trace DIR` and the routing figures from a trace, as a user meets them:
// the fixture trace (Tests/Fixtures/generate_routing_trace.py) gives the counts the in-process run
// gives on the same tokens, and a trace that does not fit the adapter is refused.
import Foundation
import MoLATestSupport
import Testing

@Suite final class RoutingTraceCommandTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let model = Fixtures.path("tiny-model")
    static let trace = Fixtures.path("routing-trace")

    /// Per layer and projection, each expert's selection count.
    private func selections(_ json: String) throws -> [String: [Int]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var result: [String: [Int]] = [:]
        for layer in try #require(document["layers"] as? [[String: Any]]) {
            for (kind, value) in try #require(layer["projections"] as? [String: Any]) {
                let experts = try #require((value as? [String: Any])?["experts"] as? [[String: Any]])
                result["\(layer["layer"]!).\(kind)"] = experts.compactMap { $0["selected"] as? Int }
            }
        }
        return result
    }

    @Test func aTraceGivesTheCountsOfTheRunItRecorded() throws {
        let fromTrace = try runMolaInspect(["routing", "\(Self.model)/adapter", "--trace", Self.trace, "--json"])
        #expect(fromTrace.status == 0, "\(fromTrace.standardError)")
        let fromRun = try runMolaInspect(["routing", "\(Self.model)/adapter", "--base", "\(Self.model)/base", "--tokens",
                                          "\(Self.trace)/tokens.json", "--length", "12", "--batch", "4", "--json"])
        #expect(fromRun.status == 0, "\(fromRun.standardError)")
        let counts = try selections(fromTrace.standardOutput)
        #expect(counts.count == 21)
        #expect(counts == (try selections(fromRun.standardOutput)))
        #expect(fromTrace.standardOutput.contains("\"top_k_source\": \"the routing trace's manifest\""))
    }

    @Test func routingFiguresFromATrace() throws {
        for command in ["routing", "routing-redundancy"] {
            let figure = scratch.path("\(command).svg")
            let result = try runMolaInspect(["plot", command, "\(Self.model)/adapter", "--trace", Self.trace, "-o", figure])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(FileManager.default.fileExists(atPath: figure))
        }
    }

    @Test func aTraceThatDoesNotFitTheAdapterOrTheOptions() throws {
        let output = scratch.path("routing.json")
        let other = try runMolaInspect(["routing", Fixtures.path("small-2468-f32"), "--trace", Self.trace, "--json", "--output", output])
        #expect(other.status == 1)
        #expect(other.standardError.contains("the trace was recorded with experts per layer [2, 4, 3], the adapter has [2, 4, 6, 8]"),
                "\(other.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let mixed = try runMolaInspect(["routing", "\(Self.model)/adapter", "--trace", Self.trace, "--base", "\(Self.model)/base"])
        #expect(mixed.status == 64 && mixed.standardError.contains("--base does not apply to --trace"), "\(mixed.standardError)")
        let missing = try runMolaInspect(["routing", "\(Self.model)/adapter", "--trace", scratch.path("nowhere")])
        #expect(missing.status == 1 && missing.standardError.contains("no routing trace here"), "\(missing.standardError)")
    }
}
