// `mola-inspect plot` as a user meets it: figures written, decoded and checked; bad inputs
// refused with nothing written.
import Foundation
import MoLAPlot
import MoLATestSupport
import Testing

@Suite final class PlotCommandTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    private func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { !$0.hasPrefix("ckpt") && !$0.hasPrefix("deep") }.sorted()
    }

    @Test func figure3FromCheckpointsAndSavedJSON() throws {
        let shallow = try writeTinyCheckpoint(in: scratch, name: "ckpt-a", experts: [2, 3])
        let deep = try writeTinyCheckpoint(in: scratch, name: "deep", experts: [1, 2, 2, 4], seed: 5)
        let saved = scratch.path("saved.json")
        #expect(try runMolaInspect(["redundancy", shallow, "--projections", "all", "--json", "--output", saved]).status == 0)
        let png = scratch.path("figure3.png")
        let result = try runMolaInspect(["plot", "redundancy", saved, deep, "--projections", "all", "-o", png,
                                         "--labels", "saved run,deeper", "--width", "800", "--height", "500", "--dpi", "150"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError == "wrote \(png)\n")
        let image = try RasterImage(pngPath: png)
        #expect(image.width == 800 && image.height == 500)
        let colors = Set(image.pixels.map { $0 & 0xFFFFFF })
        #expect(colors.contains(0x0072B2) && colors.contains(0xD55E00))
        let svgPath = scratch.path("figure3.svg")
        #expect(try runMolaInspect(["plot", "redundancy", saved, deep, "--projections", "all", "-o", svgPath, "--labels", "saved run,deeper"]).status == 0)
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        for expected in [">saved run<", ">deeper<", ">layer<", "layer 0 (one expert, or non-finite values)", "different depths (2, 4 layers)"] {
            #expect(svg.contains(expected), "missing \(expected)")
        }
    }

    @Test func pairsAndAllocationFigures() throws {
        let checkpoint = try writeTinyCheckpoint(in: scratch, name: "ckpt", experts: [1, 3, 4])
        let pairs = scratch.path("pairs.svg")
        #expect(try runMolaInspect(["plot", "pairs", checkpoint, "--projections", "q_proj", "-o", pairs]).status == 0)
        let svg = try String(contentsOfFile: pairs, encoding: .utf8)
        for expected in [">layer 0<", ">layer 2<", "layer 0 has one expert: no pairs", ">3<"] {
            #expect(svg.contains(expected), "missing \(expected)")
        }
        let allocation = scratch.path("allocation.pdf")
        #expect(try runMolaInspect(["plot", "allocation", checkpoint, checkpoint, "-o", allocation, "--labels", "a,b"]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: allocation)).prefix(5) == Data("%PDF-".utf8))
        let allocationSVG = scratch.path("allocation.svg")
        #expect(try runMolaInspect(["plot", "allocation", checkpoint, "-o", allocationSVG]).status == 0)
        #expect(try String(contentsOfFile: allocationSVG, encoding: .utf8).contains("parameters<"))
    }

    @Test func badInputsWriteNothing() throws {
        let checkpoint = try writeTinyCheckpoint(in: scratch, name: "ckpt", experts: [2, 2])
        let notRedundancy = try scratch.write(Array(#"{"format": "safetensors"}"#.utf8), to: "info.json")
        let refused = try runMolaInspect(["plot", "redundancy", notRedundancy, "-o", scratch.path("a.png")])
        #expect(refused.status == 1)
        #expect(refused.standardError.hasPrefix("error: \(notRedundancy) is not the JSON output of `mola-inspect redundancy`"))
        #expect(try runMolaInspect(["plot", "redundancy", checkpoint, "-o", scratch.path("a.gif")]).status == 64)
        #expect(try runMolaInspect(["plot", "redundancy", checkpoint]).status == 64)  // no -o
        #expect(try runMolaInspect(["plot", "histogram", checkpoint, "-o", scratch.path("a.png")]).status == 64)
        #expect(try runMolaInspect(["plot", "redundancy", checkpoint, "-o", scratch.path("a.png"), "--labels", "x,y"]).status == 64)
        let lacking = try runMolaInspect(["plot", "redundancy", checkpoint, "--projections", "down_proj", "-o", scratch.path("a.png")])
        #expect(lacking.status == 1)
        #expect(lacking.standardError.contains("has no experts on down_proj"))
        let unwritable = try runMolaInspect(["plot", "redundancy", checkpoint, "-o", scratch.path("missing/dir/a.png")])
        #expect(unwritable.status == 1)
        #expect(unwritable.standardError.hasPrefix("error: cannot write the figure"))
        #expect(try files() == ["info.json"])
        // A good figure is not replaced by a failing run.
        let good = scratch.path("good.png")
        #expect(try runMolaInspect(["plot", "redundancy", checkpoint, "-o", good]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: good))
        #expect(try runMolaInspect(["plot", "redundancy", scratch.path("nowhere"), "-o", good]).status == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: good)) == before)
        #expect(try files() == ["good.png", "info.json"])
    }
}
