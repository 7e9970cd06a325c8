/// A figure's size: pixels for PNG, and the resolution that turns them into a physical size
/// (points for PDF and SVG, `pixels * 72 / dpi`). Text sizes are in points, so a figure keeps
/// readable text at any resolution.
public struct FigureSize: Sendable, Equatable {
    public var widthPixels: Int
    public var heightPixels: Int
    public var dpi: Double

    /// 1200 x 750 pixels at 200 dpi: 6 x 3.75 inches, a double-column figure.
    public static let standard = FigureSize(widthPixels: 1200, heightPixels: 750, dpi: 200)

    public init(widthPixels: Int, heightPixels: Int, dpi: Double) {
        self.widthPixels = widthPixels
        self.heightPixels = heightPixels
        self.dpi = dpi
    }

    public var widthPoints: Double { Double(widthPixels) * 72 / dpi }
    public var heightPoints: Double { Double(heightPixels) * 72 / dpi }

    /// Sizes from 200 to 20,000 pixels a side and 36 to 1200 dpi.
    public var isValid: Bool {
        (200...20_000).contains(widthPixels) && (200...20_000).contains(heightPixels) && (36...1200).contains(dpi)
    }
}

/// Font sizes and spacing in points, chosen for a figure at paper column width.
struct ChartStyle {
    let title = Font(size: 10, bold: true)
    let axisTitle = Font(size: 8.5)
    let tick = Font(size: 7.5)
    let legend = Font(size: 7.5)
    let note = Font(size: 7)
    let panelTitle = Font(size: 7.5, bold: true)
    let margin = 8.0
    let gap = 4.0
    let tickLength = 3.0
    let lineWidth = 1.4
    let markerSize = 4.8
}
