import MoLAPlot

/// Options every `plot` subcommand takes: where to write and how large.
enum FigureOptions {
    static let output = OptionSpec(name: "--output", valueName: "FILE", help: "the figure to write: .png, .svg or .pdf (required; -o)")
    static let width = OptionSpec(name: "--width", valueName: "PX", help: "width in pixels (default 1200)")
    static let height = OptionSpec(name: "--height", valueName: "PX", help: "height in pixels (default 750)")
    static let dpi = OptionSpec(name: "--dpi", valueName: "N", help: "pixels per inch: sets the physical size and text scale (default 200)")
    static let title = OptionSpec(name: "--title", valueName: "TEXT", help: "the figure's title (default: one describing it; \"\" for none)")
    static let all = [output, width, height, dpi, title]

    /// `-o` is `--output`.
    static func normalise(_ arguments: [String]) -> [String] {
        arguments.map { $0 == "-o" ? output.name : $0 }
    }

    static func path(_ arguments: ParsedArguments) throws -> String {
        guard let path = arguments.value(output.name) else { throw UsageError("missing --output FILE (-o), a .png, .svg or .pdf") }
        do {
            _ = try FigureFormat(path: path)
        } catch let error as PlotError {
            throw UsageError(error.description)
        }
        return path
    }

    static func size(_ arguments: ParsedArguments) throws -> FigureSize {
        let standard = FigureSize.standard
        let widthPixels = try arguments.integer(width.name, in: 200...20_000) ?? standard.widthPixels
        let heightPixels = try arguments.integer(height.name, in: 200...20_000) ?? standard.heightPixels
        let resolution = try arguments.integer(dpi.name, in: 36...1200).map(Double.init) ?? standard.dpi
        return FigureSize(widthPixels: widthPixels, heightPixels: heightPixels, dpi: resolution)
    }

    /// The title from `--title`, else `standard`; an empty `--title` means none.
    static func title(_ arguments: ParsedArguments, standard: String) -> String? {
        guard let given = arguments.value(title.name) else { return standard }
        return given.isEmpty ? nil : given
    }
}
