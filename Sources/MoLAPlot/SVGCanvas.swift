import Foundation

/// Draws into an SVG document with real `<text>` elements (searchable, selectable), measured
/// with the same Cairo fonts as the PNG and PDF output.
final class SVGCanvas: Canvas {
    private var body: [String] = []
    private let width: Double
    private let height: Double

    init(widthPoints: Double, heightPoints: Double) {
        width = widthPoints
        height = heightPoints
    }

    var document: String {
        let header = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))pt" height="\(n(height))pt" viewBox="0 0 \(n(width)) \(n(height))" font-family="\(Font.family), sans-serif">
        """
        return ([header] + body + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    private func n(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private func paint(_ color: Color, _ attribute: String) -> String {
        color.alpha < 1 ? "\(attribute)=\"\(color.hexString)\" \(attribute)-opacity=\"\(n(color.alpha))\"" : "\(attribute)=\"\(color.hexString)\""
    }

    private func pointList(_ points: [Point]) -> String {
        points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
    }

    func fill(_ rect: Rect, _ color: Color) {
        body.append("<rect x=\"\(n(rect.x))\" y=\"\(n(rect.y))\" width=\"\(n(rect.width))\" height=\"\(n(rect.height))\" \(paint(color, "fill"))/>")
    }

    func stroke(_ rect: Rect, _ color: Color, width: Double) {
        body.append("<rect x=\"\(n(rect.x))\" y=\"\(n(rect.y))\" width=\"\(n(rect.width))\" height=\"\(n(rect.height))\" fill=\"none\" \(paint(color, "stroke")) stroke-width=\"\(n(width))\"/>")
    }

    func line(_ points: [Point], _ color: Color, width: Double, dashed: Bool) {
        guard points.count > 1 else { return }
        body.append("<polyline points=\"\(pointList(points))\" fill=\"none\" \(paint(color, "stroke")) stroke-width=\"\(n(width))\" stroke-linejoin=\"round\"\(dashed ? " stroke-dasharray=\"3 2\"" : "")/>")
    }

    func polygon(_ points: [Point], fill color: Color) {
        body.append("<polygon points=\"\(pointList(points))\" \(paint(color, "fill"))/>")
    }

    func marker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color, stroke: Color) {
        let style = "\(paint(fill, "fill")) \(paint(stroke, "stroke")) stroke-width=\"0.6\""
        if let outline = markerOutline(shape, center, size) {
            body.append("<polygon points=\"\(pointList(outline))\" \(style)/>")
        } else {
            body.append("<circle cx=\"\(n(center.x))\" cy=\"\(n(center.y))\" r=\"\(n(size / 2))\" \(style)/>")
        }
    }

    func text(_ text: String, at: Point, font: Font, color: Color, alignment: TextAlignment, degrees: Double) {
        let anchor = switch alignment {
        case .start: "start"
        case .middle: "middle"
        case .end: "end"
        }
        let rotation = degrees == 0 ? "" : " transform=\"rotate(\(n(degrees)) \(n(at.x)) \(n(at.y)))\""
        body.append("<text x=\"\(n(at.x))\" y=\"\(n(at.y))\" font-size=\"\(n(font.size))\"\(font.bold ? " font-weight=\"bold\"" : "") text-anchor=\"\(anchor)\" \(paint(color, "fill"))\(rotation)>\(Self.escaped(text))</text>")
    }

    /// `text` as XML character data (or an attribute value), well-formed whatever it holds:
    /// `&`, `<`, `>` and `"` as entities, tab and line breaks as character references, and the
    /// characters XML 1.0 forbids (C0 controls other than tab, line feed and carriage return,
    /// U+FFFE and U+FFFF) as U+FFFD, the replacement character, since no reference can write
    /// them either. Lone surrogates cannot occur in a Swift string.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "\t", "\n", "\r": result += "&#\(scalar.value);"
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                result.unicodeScalars.append("\u{FFFD}")
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
