// Every chart type rendered to PNG, SVG and PDF; PNGs decoded and checked for size, a
// non-blank plot area and the series colors; SVGs checked for their text; edge cases drawn.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import MoLATestSupport
import Testing
@testable import MoLAPlot

@Suite final class RenderingTests {
    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }
    deinit { scratch.remove() }

    static let layers: [Double] = (0..<8).map(Double.init)
    static let upper: [Double?] = layers.map { 0.5 + $0 * 0.1 }
    static let band: [(low: Double, high: Double)?] = layers.map { (low: 0.45 + $0 * 0.1, high: 0.55 + $0 * 0.1) }
    static let lower: [Double?] = layers.map { 0.4 + $0 * 0.08 }
    static let figure3 = LineChart(
        title: "Expert redundancy by layer", xTitle: "layer", yTitle: "mean pairwise distance",
        series: [LineSeries(name: "MoLA-□ 8888", x: layers, y: upper, band: band),
                 LineSeries(name: "MoLA-□ 5555", x: layers, y: lower)])

    static let allCharts: [(String, Chart)] = [
        ("line", .line(figure3)),
        ("bars", .bars(BarChart(title: "Experts per layer", xTitle: "layer", yTitle: "experts",
                                categories: (0..<8).map(String.init),
                                series: [BarSeries(name: "2468 (105.6 M parameters)", values: [2, 2, 4, 4, 6, 6, 8, 8]),
                                         BarSeries(name: "8642 (105.6 M parameters)", values: [8, 8, 6, 6, 4, 4, 2, 2])]))),
        ("heatmap", .heatmap(Heatmap(title: "Selection share", xTitle: "expert", yTitle: "layer",
                                     rowLabels: ["0", "1", "2"], columnLabels: ["0", "1", "2", "3"],
                                     values: [[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, nil, 0.1], [0.25, 0.25, 0.25, 0.25]],
                                     colorbarTitle: "share"))),
        ("grid", .heatmapGrid(HeatmapGrid(title: "Pairwise distances", panels: (0..<4).map { layer in
            let experts = 2 + 2 * layer
            return HeatmapPanel(title: "layer \(layer)", rowLabels: (0..<experts).map(String.init),
                                columnLabels: (0..<experts).map(String.init),
                                values: (0..<experts).map { i in (0..<experts).map { j in i == j ? nil : Double(abs(i - j)) } })
        }, colorbarTitle: "distance"))),
    ]

    @Test(arguments: ["line", "bars", "heatmap", "grid"])
    func rendersToEveryFormat(name: String) throws {
        let chart = Self.allCharts.first { $0.0 == name }!.1
        for format in FigureFormat.allCases {
            let path = scratch.path("\(name).\(format.rawValue)")
            try ChartFile.write(chart, to: path, size: .standard)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            switch format {
            case .png: #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            case .pdf: #expect(data.prefix(5) == Data("%PDF-".utf8))
            case .svg: #expect(String(decoding: data, as: UTF8.self).contains("<svg"))
            }
        }
    }

    @Test func lineChartPNGShowsTheSeriesColors() throws {
        let path = scratch.path("figure3.png")
        try ChartFile.write(.line(Self.figure3), to: path, size: FigureSize(widthPixels: 900, heightPixels: 600, dpi: 150))
        let image = try RasterImage(pngPath: path)
        #expect(image.width == 900 && image.height == 600)
        let colors = Set(image.pixels.map { $0 & 0xFFFFFF })
        #expect(colors.contains(0x0072B2))  // Okabe-Ito blue: series 1
        #expect(colors.contains(0xD55E00))  // vermillion: series 2
        // The middle of the figure is not blank.
        var inked = 0, total = 0
        for y in (image.height / 4)..<(3 * image.height / 4) {
            for x in (image.width / 4)..<(3 * image.width / 4) {
                total += 1
                if image.pixels[y * image.width + x] & 0xFFFFFF != 0xFFFFFF { inked += 1 }
            }
        }
        #expect(inked > total / 100)
    }

    @Test func barAndHeatmapPNGsShowTheirColors() throws {
        let bars = scratch.path("bars.png"), heatmap = scratch.path("heatmap.png")
        try ChartFile.write(Self.allCharts.first { $0.0 == "bars" }!.1, to: bars)
        try ChartFile.write(Self.allCharts.first { $0.0 == "heatmap" }!.1, to: heatmap)
        let barColors = Set(try RasterImage(pngPath: bars).pixels.map { $0 & 0xFFFFFF })
        #expect(barColors.contains(0x0072B2) && barColors.contains(0xD55E00))
        let heatColors = Set(try RasterImage(pngPath: heatmap).pixels.map { $0 & 0xFFFFFF })
        // The lowest and highest cells take viridis's ends; the missing cell is gray.
        #expect(heatColors.contains(0x440154) && heatColors.contains(0xFDE725) && heatColors.contains(0xD9D9D9))
    }

    /// Titles and labels holding markup and characters XML forbids still make well-formed XML.
    @Test func svgIsWellFormedWhateverTheTextHolds() throws {
        let hostile = "a<b & \"c\" 'd' \u{1}\u{1B}[2J\t\n\r\u{FFFE}]]>"
        let chart = LineChart(title: hostile, xTitle: hostile, yTitle: "y",
                              series: [LineSeries(name: hostile, x: [0, 1], y: [0.5, 0.7])], notes: [hostile])
        let svg = ChartFile.svg(.line(chart))
        final class Texts: NSObject, XMLParserDelegate {
            var current = "", all: [String] = []
            func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) { current = "" }
            func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
            func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
                if elementName == "text" { all.append(current) }
                current = ""
            }
        }
        let texts = Texts()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = texts
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        #expect(texts.all.contains("a<b & \"c\" 'd' \u{FFFD}\u{FFFD}[2J\t\n\r\u{FFFD}]]>"), "\(texts.all)")
    }

    @Test func svgCarriesTitlesLegendAndTicks() throws {
        let svg = ChartFile.svg(.line(Self.figure3))
        for expected in [">Expert redundancy by layer<", ">layer<", ">mean pairwise distance<", ">MoLA-□ 8888<", ">MoLA-□ 5555<", ">0<", ">7<"] {
            #expect(svg.contains(expected), "missing \(expected)")
        }
        #expect(svg.contains("font-family=\"DejaVu Sans"))
    }

    @Test func edgeCasesRenderAndSayWhatIsMissing() throws {
        let empty = LineChart(xTitle: "layer", yTitle: "distance",
                              series: [LineSeries(name: "empty", x: [], y: []),
                                       LineSeries(name: "one layer", x: [0], y: [1.5]),
                                       LineSeries(name: "with gaps", x: [0, 1, 2], y: [1, .nan, nil])],
                              notes: ["one expert in layer 0: no pairs"])
        let svg = ChartFile.svg(.line(empty))
        #expect(svg.contains(">empty (no data)<"))
        #expect(svg.contains(">one expert in layer 0: no pairs<"))
        try ChartFile.write(.line(empty), to: scratch.path("edge.png"))
        // 64 layers x 16 experts as small multiples and as one heatmap.
        let panels = (0..<64).map { layer in
            HeatmapPanel(title: "layer \(layer)", rowLabels: (0..<16).map(String.init), columnLabels: (0..<16).map(String.init),
                         values: (0..<16).map { i in (0..<16).map { j in i == j ? nil : Double(i * j) } })
        }
        try ChartFile.write(.heatmapGrid(HeatmapGrid(panels: panels, colorbarTitle: "distance")), to: scratch.path("big.png"))
        try ChartFile.write(.heatmap(Heatmap(xTitle: "expert", yTitle: "layer", rowLabels: (0..<64).map(String.init),
                                             columnLabels: (0..<16).map(String.init),
                                             values: (0..<64).map { _ in (0..<16).map { Double($0) } }, colorbarTitle: "share")),
                            to: scratch.path("tall.svg"))
        let allMissing = Heatmap(xTitle: "x", yTitle: "y", rowLabels: ["a"], columnLabels: ["b"], values: [[nil]], colorbarTitle: "v")
        try ChartFile.write(.heatmap(allMissing), to: scratch.path("missing.pdf"))
        // Each was written whole, in its format.
        for (name, magic) in [("edge.png", [0x89, 0x50, 0x4E, 0x47]), ("big.png", [0x89, 0x50, 0x4E, 0x47]),
                              ("tall.svg", Array("<?xml".utf8)), ("missing.pdf", Array("%PDF-".utf8))] as [(String, [UInt8])] {
            let data = try Data(contentsOf: URL(fileURLWithPath: scratch.path(name)))
            #expect(Array(data.prefix(magic.count)) == magic, "\(name)")
        }
        #expect(try RasterImage(pngPath: scratch.path("big.png")).width > 0)
        #expect(try String(contentsOfFile: scratch.path("tall.svg"), encoding: .utf8).contains(">63<"))
    }

    /// Long names shrink or wrap but stay inside the figure, and the y title stays left of the tick labels.
    @Test func longNamesAreNeverCutOff() throws {
        let long = "a-very-long-checkpoint-directory-name-from-a-sweep/learning-rate-3e-4/seed-1234/checkpoint-100000"
        let chart = LineChart(xTitle: "layer", yTitle: "mean pairwise distance over the attention projections",
                              series: [LineSeries(name: long, x: [0, 1], y: [1000.5, 2000.25]),
                                       LineSeries(name: long + "-bis", x: [0, 1], y: [1500, 1200])])
        let size = FigureSize(widthPixels: 600, heightPixels: 400, dpi: 150)
        let svg = ChartFile.svg(.line(chart), size: size)
        let measure = CairoTextMeasurer()
        // Both names, the longer one too, appear whole and fit.
        for name in [long, long + "-bis"] {
            let lines = svg.split(separator: "\n").filter { $0.contains(">\(name)<") }
            #expect(!lines.isEmpty, "\(name) is not drawn whole")
            for line in lines {
                let x = Double(line.split(separator: "\"")[1])!
                let fontSize = Double(line.components(separatedBy: "font-size=\"")[1].split(separator: "\"")[0])!
                #expect(x >= 0)
                #expect(x + measure.width(name, font: Font(size: fontSize)) <= size.widthPoints + 0.01, "\(name)")
            }
        }
        // The rotated y title ends left of the widest y tick label.
        func attribute(_ line: Substring, _ name: String) -> String { line.components(separatedBy: "\(name)=\"")[1].components(separatedBy: "\"")[0] }
        let lines = svg.split(separator: "\n")
        let title = lines.first { $0.contains("rotate(-90") }!
        let ticks = lines.filter { $0.contains("text-anchor=\"end\"") }
        #expect(!ticks.isEmpty)
        let leftmostTick = ticks.map { line -> Double in
            let label = line.components(separatedBy: ">")[1].components(separatedBy: "<")[0]
            return Double(attribute(line, "x"))! - measure.width(label, font: Font(size: Double(attribute(line, "font-size"))!))
        }.min()!
        let titleFont = Font(size: Double(attribute(title, "font-size"))!)
        #expect(Double(attribute(title, "x"))! + measure.descent(titleFont) < leftmostTick)
        #expect(Double(attribute(title, "x"))! - measure.ascent(titleFont) >= 0)
    }

    @Test func refusesUnknownExtensionsAndUnwritablePaths() throws {
        #expect(throws: PlotError.unknownFormat(path: scratch.path("f.jpg"), extension: "jpg")) {
            try ChartFile.write(.line(Self.figure3), to: scratch.path("f.jpg"))
        }
        let nowhere = scratch.path("no/such/dir/f.png")
        #expect(throws: PlotError.cannotWrite(path: nowhere, reason: "the directory \(scratch.path("no/such/dir")) does not exist")) {
            try ChartFile.write(.line(Self.figure3), to: nowhere)
        }
        #expect(throws: PlotError.invalidSize(width: 10, height: 600)) {
            try ChartFile.write(.line(Self.figure3), to: scratch.path("f.png"), size: FigureSize(widthPixels: 10, heightPixels: 600, dpi: 100))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }

    @Test func niceTicks() {
        #expect(NiceScale(minimum: 0, maximum: 31, targetTicks: 5, integer: true).ticks == [0, 10, 20, 30, 40])
        #expect(NiceScale(minimum: 0.12, maximum: 0.93, targetTicks: 5).ticks == [0, 0.25, 0.5, 0.75, 1])
        #expect(NiceScale(minimum: 0.12, maximum: 0.93, targetTicks: 5).labels == ["0.00", "0.25", "0.50", "0.75", "1.00"])
        #expect(NiceScale(minimum: 3, maximum: 3).ticks.count >= 2)
    }
}
