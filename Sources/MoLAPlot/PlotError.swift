/// Failures to render or write a figure.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// The output's extension names no supported format.
    case unknownFormat(path: String, extension: String)
    /// The figure could not be written.
    case cannotWrite(path: String, reason: String)
    /// The figure is too small or too large to draw.
    case invalidSize(width: Int, height: Int)
    /// Cairo failed while drawing.
    case renderingFailed(path: String, reason: String)
    /// A PNG could not be decoded.
    case unreadableImage(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownFormat(path, fileExtension):
            "unknown figure format \"\(fileExtension)\"; use .png, .svg or .pdf (\(path))"
        case let .cannotWrite(path, reason):
            "cannot write the figure: \(reason) (\(path))"
        case let .invalidSize(width, height):
            "a figure of \(width) x \(height) pixels is outside 200...20000 on each side"
        case let .renderingFailed(path, reason):
            "drawing the figure failed: \(reason) (\(path))"
        case let .unreadableImage(path, reason):
            "cannot decode the PNG: \(reason) (\(path))"
        }
    }
}
