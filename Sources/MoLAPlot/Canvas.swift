/// A point in the drawing's coordinate system (points, y down).
public struct Point: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A rectangle in points.
public struct Rect: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
}

/// A font: DejaVu Sans at a size in points, regular or bold.
public struct Font: Sendable, Equatable {
    public static let family = "DejaVu Sans"
    public var size: Double
    public var bold: Bool
    public init(size: Double, bold: Bool = false) { self.size = size; self.bold = bold }
}

/// Horizontal placement of text relative to its anchor point.
public enum TextAlignment: Sendable { case start, middle, end }

/// Marker shapes, one per series, so series differ in shape as well as color.
public enum MarkerShape: Sendable, CaseIterable { case circle, square, triangle, diamond, invertedTriangle }

/// Measures text with the same fonts the backends draw with.
public protocol TextMeasuring {
    /// Advance width of `text`.
    func width(_ text: String, font: Font) -> Double
    /// Height above the baseline of capital letters and digits.
    func ascent(_ font: Font) -> Double
    /// Depth below the baseline.
    func descent(_ font: Font) -> Double
}

/// What the chart renderer draws on: a Cairo surface (PNG, PDF) or an SVG document.
protocol Canvas: AnyObject {
    func fill(_ rect: Rect, _ color: Color)
    func stroke(_ rect: Rect, _ color: Color, width: Double)
    func line(_ points: [Point], _ color: Color, width: Double, dashed: Bool)
    func polygon(_ points: [Point], fill: Color)
    func marker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color, stroke: Color)
    /// Text with its baseline at `at.y`, aligned around `at.x`, rotated by `degrees` (clockwise) about `at`.
    func text(_ text: String, at: Point, font: Font, color: Color, alignment: TextAlignment, degrees: Double)
}

extension Canvas {
    /// The points of a marker shape of `size` (its width) around `center`.
    func markerOutline(_ shape: MarkerShape, _ center: Point, _ size: Double) -> [Point]? {
        let r = size / 2
        switch shape {
        case .circle: return nil
        case .square: return [Point(center.x - r, center.y - r), Point(center.x + r, center.y - r),
                               Point(center.x + r, center.y + r), Point(center.x - r, center.y + r)]
        case .triangle: return [Point(center.x, center.y - r * 1.15), Point(center.x + r * 1.1, center.y + r * 0.85),
                                 Point(center.x - r * 1.1, center.y + r * 0.85)]
        case .invertedTriangle: return [Point(center.x, center.y + r * 1.15), Point(center.x + r * 1.1, center.y - r * 0.85),
                                         Point(center.x - r * 1.1, center.y - r * 0.85)]
        case .diamond: return [Point(center.x, center.y - r * 1.3), Point(center.x + r, center.y),
                                Point(center.x, center.y + r * 1.3), Point(center.x - r, center.y)]
        }
    }
}

/// A canvas whose drawing lands `down` points lower on another canvas (for stacked charts).
final class ShiftedCanvas: Canvas {
    private let target: Canvas
    private let down: Double

    init(_ target: Canvas, down: Double) {
        self.target = target
        self.down = down
    }

    private func shift(_ point: Point) -> Point { Point(point.x, point.y + down) }
    private func shift(_ rect: Rect) -> Rect { Rect(x: rect.x, y: rect.y + down, width: rect.width, height: rect.height) }

    func fill(_ rect: Rect, _ color: Color) { target.fill(shift(rect), color) }
    func stroke(_ rect: Rect, _ color: Color, width: Double) { target.stroke(shift(rect), color, width: width) }
    func line(_ points: [Point], _ color: Color, width: Double, dashed: Bool) { target.line(points.map(shift), color, width: width, dashed: dashed) }
    func polygon(_ points: [Point], fill: Color) { target.polygon(points.map(shift), fill: fill) }
    func marker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color, stroke: Color) {
        target.marker(shape, at: shift(center), size: size, fill: fill, stroke: stroke)
    }
    func text(_ text: String, at: Point, font: Font, color: Color, alignment: TextAlignment, degrees: Double) {
        target.text(text, at: shift(at), font: font, color: color, alignment: alignment, degrees: degrees)
    }
}
