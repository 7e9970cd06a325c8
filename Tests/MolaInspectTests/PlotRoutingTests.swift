// The routing figures, drawn from a saved routing JSON and from a run, and their bad inputs.
import Foundation
import MoLAPlot
import MoLATestSupport
import Testing

@Suite final class PlotRoutingTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let fixture = Fixtures.path("tiny-model")

    @Test func routingFiguresFromJSONAndFromARun() throws {
        let tokens = try scratch.write(Array("[[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11]]".utf8), to: "tokens.json")
        let run = ["--base", "\(Self.fixture)/base", "--tokens", tokens, "--length", "8"]
        let saved = scratch.path("routing.json")
        #expect(try runMolaInspect(["routing", "\(Self.fixture)/adapter"] + run + ["--json", "--output", saved]).status == 0)
        let share = scratch.path("share.svg")
        let fromJSON = try runMolaInspect(["plot", "routing", saved, "-o", share, "--projections", "attention"])
        #expect(fromJSON.status == 0, "\(fromJSON.standardError)")
        let svg = try String(contentsOfFile: share, encoding: .utf8)
        for expected in [">expert<", ">layer<", ">share of selections<", "mean over q_proj, k_proj, v_proj, o_proj"] {
            #expect(svg.contains(expected), "missing \(expected)")
        }
        let weights = scratch.path("weights.png")
        #expect(try runMolaInspect(["plot", "routing-weights", "\(Self.fixture)/adapter", "-o", weights] + run).status == 0)
        let image = try RasterImage(pngPath: weights)
        #expect(Set(image.pixels.map { $0 & 0xFFFFFF }).contains(0x0072B2))
        let beside = scratch.path("beside.svg")
        let result = try runMolaInspect(["plot", "routing-redundancy", "\(Self.fixture)/adapter", "--routing", saved, "-o", beside])
        #expect(result.status == 0, "\(result.standardError)")
        let besideSVG = try String(contentsOfFile: beside, encoding: .utf8)
        #expect(besideSVG.contains(">mean pairwise distance (attention)<"))
        #expect(besideSVG.contains(">normalised routing entropy (mean over projections)<"))
    }

    @Test func badRoutingInputs() throws {
        let redundancy = scratch.path("redundancy.json")
        #expect(try runMolaInspect(["redundancy", "\(Self.fixture)/adapter", "--json", "--output", redundancy]).status == 0)
        let wrong = try runMolaInspect(["plot", "routing", redundancy, "-o", scratch.path("x.png")])
        #expect(wrong.status == 1)
        #expect(wrong.standardError.contains("is not the JSON output of `mola-inspect routing`"))
        let noData = try runMolaInspect(["plot", "routing", "\(Self.fixture)/adapter", "-o", scratch.path("x.png")])
        #expect(noData.status == 64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["redundancy.json"])
    }
}
