import Foundation

/// Lays out and draws a `Chart` on a canvas: title, axes with nice ticks, legend and notes.
///
/// Every margin is computed from measured text, so axis titles never overlap tick labels and
/// long series or projection names are shown whole: crowded category labels are thinned or
/// rotated, legends wrap onto more rows.
final class ChartRenderer {
    let canvas: Canvas
    let measure: TextMeasuring
    let style = ChartStyle()
    let width: Double
    let height: Double

    init(canvas: Canvas, measure: TextMeasuring, widthPoints: Double, heightPoints: Double) {
        self.canvas = canvas
        self.measure = measure
        width = widthPoints
        height = heightPoints
    }

    func draw(_ chart: Chart) {
        canvas.fill(Rect(x: 0, y: 0, width: width, height: height), .white)
        switch chart {
        case let .line(spec): drawLine(spec)
        case let .bars(spec): drawBars(spec)
        case let .heatmap(spec): drawHeatmap(spec)
        case let .heatmapGrid(spec): drawHeatmapGrid(spec)
        case let .stacked(charts):
            let part = height / Double(max(charts.count, 1))
            for (index, chart) in charts.enumerated() {
                let shifted = ShiftedCanvas(canvas, down: Double(index) * part)
                ChartRenderer(canvas: shifted, measure: measure, widthPoints: width, heightPoints: part).draw(chart)
            }
        }
    }

    // MARK: Text helpers

    func lineHeight(_ font: Font) -> Double { measure.ascent(font) + measure.descent(font) + 1 }

    /// Draws `text` so that its ascent starts at `top`.
    func text(_ text: String, x: Double, top: Double, font: Font, alignment: TextAlignment = .start, color: Color = .ink) {
        canvas.text(text, at: Point(x, top + measure.ascent(font)), font: font, color: color, alignment: alignment, degrees: 0)
    }

    /// Draws `text` vertically centred on `y`.
    func text(_ text: String, x: Double, centerY y: Double, font: Font, alignment: TextAlignment, color: Color = .ink) {
        canvas.text(text, at: Point(x, y + measure.ascent(font) / 2), font: font, color: color, alignment: alignment, degrees: 0)
    }

    /// `font`, made smaller (down to 5 pt) until `text` fits in `length`.
    func fitting(_ text: String, _ font: Font, _ length: Double) -> Font {
        var fitted = font
        while fitted.size > 5 && measure.width(text, font: fitted) > length { fitted = Font(size: fitted.size - 0.5, bold: font.bold) }
        return fitted
    }

    /// Breaks `text` into lines no wider than `width`.
    func wrap(_ text: String, font: Font, width: Double) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if !line.isEmpty && measure.width(candidate, font: font) > width {
                lines.append(line)
                line = String(word)
            } else {
                line = candidate
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    // MARK: Blocks shared by every chart

    /// Draws the title (if any) and returns the y where content starts.
    func drawTitle(_ title: String?) -> Double {
        guard let title, !title.isEmpty else { return style.margin }
        let lines = wrap(title, font: style.title, width: width - 2 * style.margin)
        var top = style.margin
        for line in lines {
            text(line, x: width / 2, top: top, font: style.title, alignment: .middle)
            top += lineHeight(style.title)
        }
        return top + style.gap
    }

    struct LegendEntry {
        let name: String
        let color: Color
        let marker: MarkerShape?
        let isBar: Bool
    }

    private let swatchWidth = 16.0

    /// Rows of legend entries that fit the width.
    func legendRows(_ entries: [LegendEntry], font: Font) -> [[LegendEntry]] {
        var rows: [[LegendEntry]] = [[]]
        var used = 0.0
        let available = width - 2 * style.margin
        for entry in entries {
            let entryWidth = swatchWidth + style.gap + measure.width(entry.name, font: font) + 12
            if used + entryWidth > available && !rows[rows.count - 1].isEmpty {
                rows.append([])
                used = 0
            }
            rows[rows.count - 1].append(entry)
            used += entryWidth
        }
        return rows.filter { !$0.isEmpty }
    }

    /// A legend font small enough that the widest entry fits on a row (never below 5 pt).
    func legendFont(_ entries: [LegendEntry]) -> Font {
        var font = style.legend
        let available = width - 2 * style.margin
        while font.size > 5,
              let widest = entries.map({ swatchWidth + style.gap + measure.width($0.name, font: font) }).max(),
              widest > available {
            font = Font(size: font.size - 0.5)
        }
        return font
    }

    func legendHeight(_ entries: [LegendEntry]) -> Double {
        guard !entries.isEmpty else { return 0 }
        let font = legendFont(entries)
        return Double(legendRows(entries, font: font).count) * (lineHeight(font) + 2) + style.gap
    }

    /// Draws the legend centred in rows starting at `top`.
    func drawLegend(_ entries: [LegendEntry], top: Double) {
        guard !entries.isEmpty else { return }
        let font = legendFont(entries)
        var y = top + style.gap
        for row in legendRows(entries, font: font) {
            let widths = row.map { swatchWidth + style.gap + measure.width($0.name, font: font) }
            var x = (width - (widths.reduce(0, +) + 12 * Double(row.count - 1))) / 2
            let middle = y + lineHeight(font) / 2
            for (entry, entryWidth) in zip(row, widths) {
                if entry.isBar {
                    canvas.fill(Rect(x: x + 3, y: middle - 4, width: swatchWidth - 6, height: 8), entry.color)
                } else {
                    canvas.line([Point(x, middle), Point(x + swatchWidth, middle)], entry.color, width: style.lineWidth, dashed: false)
                    if let marker = entry.marker {
                        canvas.marker(marker, at: Point(x + swatchWidth / 2, middle), size: style.markerSize, fill: entry.color, stroke: .white)
                    }
                }
                text(entry.name, x: x + swatchWidth + style.gap, centerY: middle, font: font, alignment: .start)
                x += entryWidth + 12
            }
            y += lineHeight(font) + 2
        }
    }

    func notesHeight(_ notes: [String]) -> Double {
        let lines = notes.flatMap { wrap($0, font: style.note, width: width - 2 * style.margin) }
        return lines.isEmpty ? 0 : Double(lines.count) * lineHeight(style.note) + style.gap
    }

    /// Draws notes (what is missing, what was left out) left-aligned from `top`.
    func drawNotes(_ notes: [String], top: Double) {
        var y = top + style.gap
        for line in notes.flatMap({ wrap($0, font: style.note, width: width - 2 * style.margin) }) {
            text(line, x: style.margin, top: y, font: style.note, color: Color(hex: 0x555555))
            y += lineHeight(style.note)
        }
    }

    /// The y axis: gridlines, ticks, labels and the rotated title left of them.
    func drawYAxis(_ scale: NiceScale, plot: Rect, title: String, map: (Double) -> Double) {
        let labels = scale.labels
        for (tick, label) in zip(scale.ticks, labels) {
            let y = map(tick)
            canvas.line([Point(plot.x, y), Point(plot.maxX, y)], .grid, width: 0.5, dashed: false)
            canvas.line([Point(plot.x - style.tickLength, y), Point(plot.x, y)], .ink, width: 0.6, dashed: false)
            text(label, x: plot.x - style.tickLength - style.gap, centerY: y, font: style.tick, alignment: .end)
        }
        let labelWidth = labels.map { measure.width($0, font: style.tick) }.max() ?? 0
        let titleX = plot.x - style.tickLength - style.gap - labelWidth - style.gap - measure.descent(style.axisTitle)
        canvas.text(title, at: Point(titleX, plot.y + plot.height / 2), font: fitting(title, style.axisTitle, plot.height),
                    color: .ink, alignment: .middle, degrees: -90)
    }

    /// Width taken left of the plot by y tick labels and the y title.
    func yAxisWidth(_ scale: NiceScale, title: String) -> Double {
        let labelWidth = scale.labels.map { measure.width($0, font: style.tick) }.max() ?? 0
        return style.tickLength + style.gap + labelWidth + style.gap + (title.isEmpty ? 0 : lineHeight(style.axisTitle))
    }

    /// The y scale whose tick count suits the plot height.
    func yScale(minimum: Double, maximum: Double, plotHeight: Double, includeZero: Bool) -> NiceScale {
        let target = max(2, min(8, Int(plotHeight / (lineHeight(style.tick) * 2.5))))
        return NiceScale(minimum: minimum, maximum: maximum, targetTicks: target, includeZero: includeZero)
    }

    /// Height below the plot taken by x tick labels (of `labelHeight`) and the x title.
    func xAxisHeight(labelHeight: Double, title: String) -> Double {
        style.tickLength + style.gap + labelHeight + style.gap + (title.isEmpty ? 0 : lineHeight(style.axisTitle))
    }

    func drawXTitle(_ title: String, plot: Rect, labelHeight: Double) {
        text(title, x: plot.x + plot.width / 2, top: plot.maxY + style.tickLength + style.gap + labelHeight + style.gap,
             font: style.axisTitle, alignment: .middle)
    }
}
