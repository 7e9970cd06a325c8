import MoLACommandLine
import MoLAPlot

/// Options every `plot` figure takes: where to write and how large.
struct FigureOptions: ParsableArguments {
    @Option(name: "--output", aliases: ["-o"], valueName: "FILE", help: "the figure to write: .png, .svg or .pdf") var output: FilePath
    @Option(name: "--width", valueName: "PX", help: "width in pixels", in: 200...20_000) var width = FigureSize.standard.widthPixels
    @Option(name: "--height", valueName: "PX",
            help: "height in pixels, by default \(FigureSize.standard.heightPixels) (half as much again for figures of two stacked panels)",
            in: 200...20_000)
    var height: Int?
    @Option(name: "--dpi", help: "pixels per inch: sets the physical size and text scale", in: 36...1200) var dpi = Int(FigureSize.standard.dpi)
    @Option(name: "--title", valueName: "TEXT", help: "the figure's title (default: one describing it; \"\" for none)") var title: String?

    func validate() throws {
        do {
            _ = try FigureFormat(path: output.path)
        } catch let error as PlotError {
            throw UsageError(error.description)
        }
    }

    var path: String { output.path }

    /// Refuses a figure that would replace one of the command's `inputs` (`OutputSafety`).
    func refuseReplacing(_ inputs: [CommandInput]) throws {
        try OutputSafety.check(outputs: [("--output", path)], inputs: inputs)
    }

    /// The size asked for; `panels` stacked panels make the default height half as much again.
    func size(panels: Int = 1) -> FigureSize {
        let standardHeight = panels > 1 ? FigureSize.standard.heightPixels * 3 / 2 : FigureSize.standard.heightPixels
        return FigureSize(widthPixels: width, heightPixels: height ?? standardHeight, dpi: Double(dpi))
    }

    /// The title from `--title`, else `standard`; an empty `--title` means none.
    func title(standard: String) -> String? {
        guard let title else { return standard }
        return title.isEmpty ? nil : title
    }
}

/// `--labels A,B,...`: legend names for figures with one curve or group per input.
struct LegendOptions: ParsableArguments {
    @Option(name: "--labels", valueName: "A,B,...", help: "legend names, one per input", commaSeparated: ()) var labels: [String]?
}
