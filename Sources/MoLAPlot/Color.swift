/// An RGB color with opacity, components in 0...1.
public struct Color: Sendable, Equatable {
    public var red: Double
    public var green: Double
    public var blue: Double
    public var alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    /// From `0xRRGGBB`.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255,
                  blue: Double(hex & 0xFF) / 255, alpha: alpha)
    }

    public func withAlpha(_ alpha: Double) -> Color { Color(red: red, green: green, blue: blue, alpha: alpha) }

    /// `#rrggbb`.
    public var hexString: String {
        func byte(_ value: Double) -> String {
            let text = String(Int((min(max(value, 0), 1) * 255).rounded()), radix: 16)
            return text.count == 1 ? "0" + text : text
        }
        return "#" + byte(red) + byte(green) + byte(blue)
    }

    /// Relative luminance (sRGB, approximately), to choose black or white text on a cell.
    public var luminance: Double { 0.2126 * red + 0.7152 * green + 0.0722 * blue }

    public static let black = Color(hex: 0x000000)
    public static let white = Color(hex: 0xFFFFFF)
    /// Axes, ticks and text.
    public static let ink = Color(hex: 0x222222)
    public static let grid = Color(hex: 0xE5E5E5)
    public static let missing = Color(hex: 0xD9D9D9)
}

/// Colorblind-safe colors.
public enum Palette {
    /// Okabe-Ito, in the order series use them (blue, vermillion, bluish green, orange,
    /// reddish purple, sky blue, yellow, black).
    public static let series: [Color] = [
        Color(hex: 0x0072B2), Color(hex: 0xD55E00), Color(hex: 0x009E73), Color(hex: 0xE69F00),
        Color(hex: 0xCC79A7), Color(hex: 0x56B4E9), Color(hex: 0xF0E442), Color(hex: 0x000000),
    ]

    public static func series(_ index: Int) -> Color { series[index % series.count] }

    /// Matplotlib's viridis at 0, 0.1, ..., 1.
    private static let viridisStops: [UInt32] = [
        0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725,
    ]

    /// Viridis at `fraction` in 0...1 (clamped), linearly interpolated between its stops.
    public static func viridis(_ fraction: Double) -> Color {
        let position = min(max(fraction.isFinite ? fraction : 0, 0), 1) * Double(viridisStops.count - 1)
        let lower = min(Int(position), viridisStops.count - 2)
        let t = position - Double(lower)
        let a = Color(hex: viridisStops[lower]), b = Color(hex: viridisStops[lower + 1])
        return Color(red: a.red + (b.red - a.red) * t, green: a.green + (b.green - a.green) * t,
                     blue: a.blue + (b.blue - a.blue) * t)
    }
}
