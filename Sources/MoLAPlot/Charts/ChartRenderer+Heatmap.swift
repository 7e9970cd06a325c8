import Foundation

extension ChartRenderer {
    /// The color scale over every finite value (0...1 when there is none).
    func colorRange(_ values: [Double?]) -> (low: Double, high: Double) {
        let finite = values.compactMap { $0 }.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return (0, 1) }
        return high > low ? (low, high) : (low - 0.5, high + 0.5)
    }

    func cellColor(_ value: Double?, range: (low: Double, high: Double)) -> Color {
        guard let value, value.isFinite else { return .missing }
        return Palette.viridis((value - range.low) / (range.high - range.low))
    }

    /// A cell value in 3 significant digits.
    func cellText(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude < 0.01 || magnitude >= 1e4) { return String(format: "%.1e", value) }
        return String(format: "%.3g", value)
    }

    /// Width of the colorbar with its labels and title.
    func colorbarWidth(range: (low: Double, high: Double), title: String) -> Double {
        let scale = NiceScale(minimum: range.low, maximum: range.high, targetTicks: 5)
        let labelWidth = scale.labels.map { measure.width($0, font: style.tick) }.max() ?? 0
        return style.gap * 2 + 9 + style.tickLength + style.gap + labelWidth + style.gap + lineHeight(style.axisTitle)
    }

    /// A vertical colorbar in `area` (its left edge is the bar).
    func drawColorbar(range: (low: Double, high: Double), title: String, x: Double, top: Double, height barHeight: Double) {
        let bar = Rect(x: x + style.gap * 2, y: top, width: 9, height: barHeight)
        let steps = 64
        for step in 0..<steps {
            let fraction = Double(step) / Double(steps)
            canvas.fill(Rect(x: bar.x, y: bar.maxY - (fraction + 1 / Double(steps)) * bar.height,
                             width: bar.width, height: bar.height / Double(steps) + 0.3), Palette.viridis(fraction + 0.5 / Double(steps)))
        }
        canvas.stroke(bar, .ink, width: 0.5)
        let scale = NiceScale(minimum: range.low, maximum: range.high, targetTicks: 5)
        var labelWidth = 0.0
        for (tick, label) in zip(scale.ticks, scale.labels) where tick >= range.low - 1e-12 && tick <= range.high + 1e-12 {
            let y = bar.maxY - (tick - range.low) / (range.high - range.low) * bar.height
            canvas.line([Point(bar.maxX, y), Point(bar.maxX + style.tickLength, y)], .ink, width: 0.6, dashed: false)
            text(label, x: bar.maxX + style.tickLength + style.gap, centerY: y, font: style.tick, alignment: .start)
            labelWidth = max(labelWidth, measure.width(label, font: style.tick))
        }
        let titleX = bar.maxX + style.tickLength + style.gap + labelWidth + style.gap + measure.ascent(style.axisTitle)
        canvas.text(title, at: Point(titleX, bar.y + bar.height / 2), font: fitting(title, style.axisTitle, max(bar.height, 150)),
                    color: .ink, alignment: .middle, degrees: -90)
    }

    /// Cells of `values` in `area`, with their values where the text fits.
    func drawCells(_ values: [[Double?]], area: Rect, range: (low: Double, high: Double)) {
        let rows = values.count, columns = values.first?.count ?? 0
        guard rows > 0, columns > 0 else { return }
        let cellWidth = area.width / Double(columns), cellHeight = area.height / Double(rows)
        let valueFont = Font(size: min(7, max(4, cellHeight * 0.4)))
        for (row, rowValues) in values.enumerated() {
            for (column, value) in rowValues.enumerated() {
                let cell = Rect(x: area.x + Double(column) * cellWidth, y: area.y + Double(row) * cellHeight,
                                width: cellWidth, height: cellHeight)
                let color = cellColor(value, range: range)
                canvas.fill(Rect(x: cell.x, y: cell.y, width: cell.width + 0.2, height: cell.height + 0.2), color)
                guard let value, value.isFinite else { continue }
                let label = cellText(value)
                if measure.width(label, font: valueFont) + 2 <= cellWidth && lineHeight(valueFont) <= cellHeight {
                    text(label, x: cell.x + cellWidth / 2, centerY: cell.y + cellHeight / 2, font: valueFont,
                         alignment: .middle, color: color.luminance < 0.5 ? .white : .black)
                }
            }
        }
        canvas.stroke(area, .ink, width: 0.5)
    }

    /// Every `step`-th label so that labels of `size` fit in cells of `cell`.
    func labelStep(cell: Double, size: Double) -> Int {
        size <= cell ? 1 : Int((size / max(cell, 1e-9)).rounded(.up))
    }

    func drawHeatmap(_ spec: Heatmap) {
        let top = drawTitle(spec.title)
        let range = colorRange(spec.values.flatMap { $0 })
        let notesHeight = notesHeight(spec.notes)
        let rowLabelWidth = spec.rowLabels.map { measure.width($0, font: style.tick) }.max() ?? 0
        let columnLabelWidth = spec.columnLabels.map { measure.width($0, font: style.tick) }.max() ?? 0
        let left = style.margin + (spec.yTitle.isEmpty ? 0 : lineHeight(style.axisTitle) + style.gap) + rowLabelWidth + style.gap
        let right = style.margin + colorbarWidth(range: range, title: spec.colorbarTitle)
        let plotWidth = max(20, width - left - right)
        let columnSlot = plotWidth / Double(max(spec.columnLabels.count, 1))
        let rotate = columnLabelWidth + 2 > columnSlot
        let labelHeight = rotate ? columnLabelWidth : lineHeight(style.tick)
        let bottom = xAxisHeight(labelHeight: labelHeight, title: spec.xTitle) + notesHeight + style.margin
        let plot = Rect(x: left, y: top, width: plotWidth, height: max(20, height - top - bottom))
        drawCells(spec.values, area: plot, range: range)

        let cellHeight = plot.height / Double(max(spec.rowLabels.count, 1))
        let rowStep = labelStep(cell: cellHeight, size: lineHeight(style.tick))
        for (row, label) in spec.rowLabels.enumerated() where row % rowStep == 0 {
            text(label, x: plot.x - style.gap, centerY: plot.y + (Double(row) + 0.5) * cellHeight, font: style.tick, alignment: .end)
        }
        let columnStep = labelStep(cell: columnSlot, size: rotate ? lineHeight(style.tick) : columnLabelWidth + 2)
        for (column, label) in spec.columnLabels.enumerated() where column % columnStep == 0 {
            let center = plot.x + (Double(column) + 0.5) * columnSlot
            if rotate {
                canvas.text(label, at: Point(center + measure.ascent(style.tick) / 2, plot.maxY + style.tickLength + style.gap),
                            font: style.tick, color: .ink, alignment: .start, degrees: 90)
            } else {
                text(label, x: center, top: plot.maxY + style.tickLength + style.gap, font: style.tick, alignment: .middle)
            }
        }
        if !spec.yTitle.isEmpty {
            canvas.text(spec.yTitle, at: Point(style.margin + measure.ascent(style.axisTitle), plot.y + plot.height / 2),
                        font: style.axisTitle, color: .ink, alignment: .middle, degrees: -90)
        }
        drawXTitle(spec.xTitle, plot: plot, labelHeight: labelHeight)
        drawColorbar(range: range, title: spec.colorbarTitle, x: plot.maxX, top: plot.y, height: plot.height)
        drawNotes(spec.notes, top: plot.maxY + xAxisHeight(labelHeight: labelHeight, title: spec.xTitle))
    }

    func drawHeatmapGrid(_ spec: HeatmapGrid) {
        let top = drawTitle(spec.title)
        let range = colorRange(spec.panels.flatMap { $0.values.flatMap { $0 } })
        let notesHeight = notesHeight(spec.notes)
        let right = style.margin + colorbarWidth(range: range, title: spec.colorbarTitle)
        let area = Rect(x: style.margin, y: top, width: max(20, width - style.margin - right),
                        height: max(20, height - top - notesHeight - style.margin))
        let count = max(spec.panels.count, 1)
        let largest = max(spec.panels.map { max($0.values.count, $0.columnLabels.count) }.max() ?? 1, 1)
        let titleHeight = lineHeight(style.panelTitle) + 1
        // Row labels are layer numbers, or names: room for the widest.
        let widestRowLabel = spec.panels.flatMap(\.rowLabels).max { measure.width($0, font: Font(size: 5)) < measure.width($1, font: Font(size: 5)) }
            ?? String(largest - 1)
        // Choose the column count that gives the largest cells.
        var best = (columns: 1, cell: 0.0)
        for columns in 1...count {
            let rows = (count + columns - 1) / columns
            let panelWidth = area.width / Double(columns), panelHeight = area.height / Double(rows)
            let rowLabelSpace = measure.width(widestRowLabel, font: Font(size: 5)) + 3
            let columnLabelSpace = measure.width(String(largest - 1), font: Font(size: 5)) + 3
            let side = min(panelWidth - rowLabelSpace - 3 * style.gap, panelHeight - titleHeight - columnLabelSpace - 2 * style.gap)
            let cell = side / Double(largest)
            if cell > best.cell { best = (columns, cell) }
        }
        let columns = best.columns
        let cell = max(best.cell, 0.5)
        let labelFont = Font(size: min(6.5, max(4, cell * 0.6)))
        let rowLabelSpace = measure.width(widestRowLabel, font: labelFont) + 3
        let labelSpace = measure.width(String(largest - 1), font: labelFont) + 3
        let panelWidth = area.width / Double(columns)
        let panelHeight = area.height / Double((count + columns - 1) / columns)
        for (index, panel) in spec.panels.enumerated() {
            let origin = Point(area.x + Double(index % columns) * panelWidth, area.y + Double(index / columns) * panelHeight)
            let matrix = Rect(x: origin.x + rowLabelSpace, y: origin.y + titleHeight + labelSpace,
                              width: cell * Double(panel.columnLabels.count), height: cell * Double(panel.rowLabels.count))
            text(panel.title, x: matrix.x, top: origin.y, font: style.panelTitle, alignment: .start)
            drawCells(panel.values, area: matrix, range: range)
            let step = labelStep(cell: cell, size: lineHeight(labelFont))
            for (row, label) in panel.rowLabels.enumerated() where row % step == 0 {
                text(label, x: matrix.x - 1.5, centerY: matrix.y + (Double(row) + 0.5) * cell, font: labelFont, alignment: .end)
            }
            let columnStep = labelStep(cell: cell, size: (panel.columnLabels.map { measure.width($0, font: labelFont) }.max() ?? 0) + 1)
            for (column, label) in panel.columnLabels.enumerated() where column % columnStep == 0 {
                text(label, x: matrix.x + (Double(column) + 0.5) * cell, top: matrix.y - lineHeight(labelFont),
                     font: labelFont, alignment: .middle)
            }
        }
        drawColorbar(range: range, title: spec.colorbarTitle, x: area.maxX, top: area.y + titleHeight + labelSpace,
                     height: max(20, min(area.height - titleHeight - labelSpace, 200)))
        drawNotes(spec.notes, top: area.maxY)
    }
}
