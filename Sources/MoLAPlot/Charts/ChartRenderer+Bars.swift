import Foundation

extension ChartRenderer {
    func drawBars(_ spec: BarChart) {
        let top = drawTitle(spec.title)
        let entries = spec.series.count > 1 || !(spec.series.first?.name.isEmpty ?? true)
            ? spec.series.enumerated().map { LegendEntry(name: $1.name, color: Palette.series($0), marker: nil, isBar: true) }
            : []
        let legendHeight = legendHeight(entries)
        let notesHeight = notesHeight(spec.notes)
        // The axis covers the bars and the ends of their error bars.
        let values = spec.series.flatMap { series in
            series.values.indices.flatMap { index -> [Double] in
                guard let value = series.values[index], value.isFinite else { return [] }
                return series.error(at: index).map { [value - $0, value + $0] } ?? [value]
            }
        }

        // Category labels: horizontal if they fit, else rotated 90 degrees (never cut, never overlapping).
        let labelWidths = spec.categories.map { measure.width($0, font: style.tick) }
        let roughLeft = style.margin + 40
        let slot = (width - roughLeft - style.margin) / Double(max(spec.categories.count, 1))
        let widest = labelWidths.max() ?? 0
        // Short labels (layer numbers) are thinned when crowded; long ones are turned upright.
        let rotate = widest + 3 > slot && widest > lineHeight(style.tick) * 2.5
        let labelHeight = rotate ? widest : lineHeight(style.tick)
        let bottomSpace = xAxisHeight(labelHeight: labelHeight, title: spec.xTitle) + legendHeight + notesHeight + style.margin
        let plotHeight = max(20, height - top - bottomSpace - measure.ascent(style.tick) / 2)
        let yScale = yScale(minimum: values.min() ?? 0, maximum: values.max() ?? 1, plotHeight: plotHeight, includeZero: true)
        let left = style.margin + yAxisWidth(yScale, title: spec.yTitle)
        let plot = Rect(x: left, y: top + measure.ascent(style.tick) / 2, width: max(20, width - left - style.margin), height: plotHeight)
        let mapY = { (y: Double) in plot.maxY - (y - yScale.lower) / max(yScale.upper - yScale.lower, 1e-300) * plot.height }
        drawYAxis(yScale, plot: plot, title: spec.yTitle, map: mapY)

        let slotWidth = plot.width / Double(max(spec.categories.count, 1))
        let needed = rotate ? lineHeight(style.tick) + 2 : widest + 3
        let step = needed <= slotWidth ? 1 : Int((needed / max(slotWidth, 1e-9)).rounded(.up))
        let barWidth = slotWidth * 0.8 / Double(max(spec.series.count, 1))
        for (category, label) in spec.categories.enumerated() {
            let slotX = plot.x + Double(category) * slotWidth
            for (index, series) in spec.series.enumerated() {
                guard let value = series.values[category], value.isFinite else { continue }
                let x = slotX + slotWidth * 0.1 + Double(index) * barWidth
                let (y0, y1) = (mapY(max(0, yScale.lower)), mapY(value))
                canvas.fill(Rect(x: x, y: min(y0, y1), width: barWidth, height: abs(y1 - y0)), Palette.series(index))
                if let error = series.error(at: category) {
                    let center = x + barWidth / 2, cap = min(barWidth / 4, 4)
                    let (low, high) = (mapY(value - error), mapY(value + error))
                    canvas.line([Point(center, low), Point(center, high)], .ink, width: 0.8, dashed: false)
                    for end in [low, high] { canvas.line([Point(center - cap, end), Point(center + cap, end)], .ink, width: 0.8, dashed: false) }
                }
            }
            guard category % step == 0 else { continue }
            let center = slotX + slotWidth / 2
            canvas.line([Point(center, plot.maxY), Point(center, plot.maxY + style.tickLength)], .ink, width: 0.6, dashed: false)
            if rotate {
                canvas.text(label, at: Point(center + measure.ascent(style.tick) / 2, plot.maxY + style.tickLength + style.gap),
                            font: style.tick, color: .ink, alignment: .start, degrees: 90)
            } else {
                text(label, x: center, top: plot.maxY + style.tickLength + style.gap, font: style.tick, alignment: .middle)
            }
        }
        canvas.line([Point(plot.x, mapY(max(0, yScale.lower))), Point(plot.maxX, mapY(max(0, yScale.lower)))], .ink, width: 0.8, dashed: false)
        canvas.line([Point(plot.x, plot.y), Point(plot.x, plot.maxY)], .ink, width: 0.8, dashed: false)
        drawXTitle(spec.xTitle, plot: plot, labelHeight: labelHeight)
        let belowAxis = plot.maxY + xAxisHeight(labelHeight: labelHeight, title: spec.xTitle)
        drawLegend(entries, top: belowAxis)
        drawNotes(spec.notes, top: belowAxis + legendHeight)
    }
}
