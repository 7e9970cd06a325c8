import Foundation
import MoLAFiles

/// Output formats, chosen by the file's extension.
public enum FigureFormat: String, Sendable, CaseIterable {
    case png, svg, pdf

    /// The format of `path`'s extension.
    ///
    /// - Throws: `PlotError.unknownFormat`.
    public init(path: String) throws {
        let fileExtension = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard let format = FigureFormat(rawValue: fileExtension) else {
            throw PlotError.unknownFormat(path: path, extension: fileExtension)
        }
        self = format
    }
}

/// Renders charts to files.
public enum ChartFile {
    /// Draws `chart` into `path` (PNG, SVG or PDF by extension).
    ///
    /// The figure is drawn into a temporary file beside `path` and renamed into place only when
    /// complete, so a failure never leaves a half-written figure or replaces a good one.
    ///
    /// - Throws: `PlotError`.
    public static func write(_ chart: Chart, to path: String, size: FigureSize = .standard) throws {
        let format = try FigureFormat(path: path)
        guard size.isValid else { throw PlotError.invalidSize(width: size.widthPixels, height: size.heightPixels) }
        let destination = URL(fileURLWithPath: path)
        let directory = destination.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PlotError.cannotWrite(path: path, reason: "the directory \(directory.path) does not exist")
        }
        do {
            try AtomicFileWriter.produce(path) { temporary in
                try render(chart, format: format, size: size, to: temporary, reportedPath: path)
            }
        } catch let AtomicFileError.cannotWrite(path, reason) {
            throw PlotError.cannotWrite(path: path, reason: reason)
        }
    }

    /// The SVG document of `chart` (real `<text>` elements, DejaVu Sans).
    public static func svg(_ chart: Chart, size: FigureSize = .standard) -> String {
        let canvas = SVGCanvas(widthPoints: size.widthPoints, heightPoints: size.heightPoints)
        ChartRenderer(canvas: canvas, measure: CairoTextMeasurer(), widthPoints: size.widthPoints,
                      heightPoints: size.heightPoints).draw(chart)
        return canvas.document
    }

    private static func render(_ chart: Chart, format: FigureFormat, size: FigureSize, to path: String,
                               reportedPath: String) throws {
        let measure = CairoTextMeasurer()
        switch format {
        case .svg:
            do {
                try svg(chart, size: size).write(toFile: path, atomically: false, encoding: .utf8)
            } catch {
                throw PlotError.cannotWrite(path: reportedPath, reason: (error as NSError).localizedDescription)
            }
        case .png:
            let surface = CairoSurfaces.image(width: size.widthPixels, height: size.heightPixels)
            defer { CairoSurfaces.destroy(surface) }
            let canvas = CairoCanvas(surface: surface, scale: size.dpi / 72)
            ChartRenderer(canvas: canvas, measure: measure, widthPoints: size.widthPoints, heightPoints: size.heightPoints).draw(chart)
            if let message = canvas.errorMessage { throw PlotError.renderingFailed(path: reportedPath, reason: message) }
            if let message = CairoSurfaces.writePNG(surface, path: path) {
                throw PlotError.cannotWrite(path: reportedPath, reason: message)
            }
        case .pdf:
            let surface = CairoSurfaces.pdf(path: path, widthPoints: size.widthPoints, heightPoints: size.heightPoints)
            var failure: String?
            do {
                let canvas = CairoCanvas(surface: surface, scale: 1)
                ChartRenderer(canvas: canvas, measure: measure, widthPoints: size.widthPoints, heightPoints: size.heightPoints).draw(chart)
                failure = canvas.errorMessage
            }
            if let message = CairoSurfaces.finish(surface) ?? failure {
                throw PlotError.cannotWrite(path: reportedPath, reason: message)
            }
        }
    }
}
