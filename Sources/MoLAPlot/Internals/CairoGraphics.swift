import CCairo
import Foundation

/// Safe wrappers over the Cairo calls the renderer needs. This is the only file of `MoLAPlot`
/// that imports Cairo.
///
/// Text uses Cairo's toy font API with the family `DejaVu Sans` (resolved by fontconfig).
final class CairoCanvas: Canvas {
    private let context: OpaquePointer
    let surface: OpaquePointer

    /// A canvas on `surface`, scaled so that drawing happens in points.
    /// The corresponding C function is `cairo_create`.
    init(surface: OpaquePointer, scale: Double) {
        self.surface = surface
        context = cairo_create(surface)
        cairo_scale(context, scale, scale)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
    }

    deinit {
        cairo_destroy(context)
    }

    /// A non-nil message when the context or surface is in an error state.
    /// The corresponding C function is `cairo_status_to_string`.
    var errorMessage: String? {
        let status = cairo_status(context)
        if status != CAIRO_STATUS_SUCCESS { return String(cString: cairo_status_to_string(status)) }
        let surfaceStatus = cairo_surface_status(surface)
        if surfaceStatus != CAIRO_STATUS_SUCCESS { return String(cString: cairo_status_to_string(surfaceStatus)) }
        return nil
    }

    private func set(_ color: Color) {
        cairo_set_source_rgba(context, color.red, color.green, color.blue, color.alpha)
    }

    func fill(_ rect: Rect, _ color: Color) {
        set(color)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(context)
    }

    func stroke(_ rect: Rect, _ color: Color, width: Double) {
        set(color)
        cairo_set_line_width(context, width)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(context)
    }

    func line(_ points: [Point], _ color: Color, width: Double, dashed: Bool) {
        guard let first = points.first, points.count > 1 else { return }
        set(color)
        cairo_set_line_width(context, width)
        if dashed {
            let pattern: [Double] = [3, 2]
            cairo_set_dash(context, pattern, 2, 0)
        }
        cairo_move_to(context, first.x, first.y)
        for point in points.dropFirst() { cairo_line_to(context, point.x, point.y) }
        cairo_stroke(context)
        if dashed { cairo_set_dash(context, nil, 0, 0) }
    }

    func polygon(_ points: [Point], fill color: Color) {
        guard let first = points.first else { return }
        set(color)
        cairo_move_to(context, first.x, first.y)
        for point in points.dropFirst() { cairo_line_to(context, point.x, point.y) }
        cairo_close_path(context)
        cairo_fill(context)
    }

    func marker(_ shape: MarkerShape, at center: Point, size: Double, fill: Color, stroke: Color) {
        if let outline = markerOutline(shape, center, size) {
            cairo_move_to(context, outline[0].x, outline[0].y)
            for point in outline.dropFirst() { cairo_line_to(context, point.x, point.y) }
            cairo_close_path(context)
        } else {
            cairo_new_sub_path(context)
            cairo_arc(context, center.x, center.y, size / 2, 0, 2 * Double.pi)
        }
        set(fill)
        cairo_fill_preserve(context)
        set(stroke)
        cairo_set_line_width(context, 0.6)
        cairo_stroke(context)
    }

    func text(_ text: String, at: Point, font: Font, color: Color, alignment: TextAlignment, degrees: Double) {
        CairoText.select(font, in: context)
        let width = CairoText.advance(text, in: context)
        let shift: Double = switch alignment {
        case .start: 0
        case .middle: -width / 2
        case .end: -width
        }
        cairo_save(context)
        cairo_translate(context, at.x, at.y)
        cairo_rotate(context, degrees * Double.pi / 180)
        cairo_move_to(context, shift, 0)
        set(color)
        cairo_show_text(context, text)
        cairo_restore(context)
    }
}

/// Text measurement through a Cairo context on a 1x1 image surface.
final class CairoTextMeasurer: TextMeasuring {
    private let surface: OpaquePointer
    private let context: OpaquePointer

    init() {
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)
        context = cairo_create(surface)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    func width(_ text: String, font: Font) -> Double {
        CairoText.select(font, in: context)
        return CairoText.advance(text, in: context)
    }

    /// The corresponding C function is `cairo_text_extents` (of the digits and capitals).
    func ascent(_ font: Font) -> Double {
        CairoText.select(font, in: context)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, "0ABDHkl", &extents)
        return -extents.y_bearing
    }

    func descent(_ font: Font) -> Double {
        CairoText.select(font, in: context)
        var extents = cairo_font_extents_t()
        cairo_font_extents(context, &extents)
        return extents.descent
    }
}

enum CairoText {
    static func select(_ font: Font, in context: OpaquePointer) {
        cairo_select_font_face(context, Font.family, CAIRO_FONT_SLANT_NORMAL,
                               font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, font.size)
    }

    /// The corresponding C function is `cairo_text_extents` (its `x_advance`).
    static func advance(_ text: String, in context: OpaquePointer) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text, &extents)
        return extents.x_advance
    }
}

/// Cairo surfaces for each output format.
enum CairoSurfaces {
    /// An ARGB image of `width x height` pixels. The corresponding C function is `cairo_image_surface_create`.
    static func image(width: Int, height: Int) -> OpaquePointer {
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
    }

    /// A PDF document at `path`. The corresponding C function is `cairo_pdf_surface_create`.
    static func pdf(path: String, widthPoints: Double, heightPoints: Double) -> OpaquePointer {
        cairo_pdf_surface_create(path, widthPoints, heightPoints)
    }

    /// Writes an image surface as PNG; returns an error message or nil.
    /// The corresponding C function is `cairo_surface_write_to_png`.
    static func writePNG(_ surface: OpaquePointer, path: String) -> String? {
        let status = cairo_surface_write_to_png(surface, path)
        return status == CAIRO_STATUS_SUCCESS ? nil : String(cString: cairo_status_to_string(status))
    }

    /// Finishes (flushes) and releases a surface; returns an error message or nil.
    static func finish(_ surface: OpaquePointer) -> String? {
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        cairo_surface_destroy(surface)
        return status == CAIRO_STATUS_SUCCESS ? nil : String(cString: cairo_status_to_string(status))
    }

    static func destroy(_ surface: OpaquePointer) { cairo_surface_destroy(surface) }
}

/// A decoded PNG: size and pixels, for checking rendered figures.
public struct RasterImage: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major `0xAARRGGBB` (premultiplied alpha, as Cairo stores it).
    public let pixels: [UInt32]

    /// Decodes a PNG file. The corresponding C function is `cairo_image_surface_create_from_png`.
    public init(pngPath path: String) throws {
        let surface = cairo_image_surface_create_from_png(path)
        defer { cairo_surface_destroy(surface) }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PlotError.unreadableImage(path: path, reason: String(cString: cairo_status_to_string(status)))
        }
        cairo_surface_flush(surface)
        width = Int(cairo_image_surface_get_width(surface))
        height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        var pixels = [UInt32](repeating: 0, count: width * height)
        if let data = cairo_image_surface_get_data(surface) {
            for row in 0..<height {
                for column in 0..<width {
                    pixels[row * width + column] = UnsafeRawPointer(data).loadUnaligned(fromByteOffset: row * stride + column * 4, as: UInt32.self)
                }
            }
        }
        self.pixels = pixels
    }
}
