extension ChartRenderer {
    func drawLine(_ spec: LineChart) {
        let top = drawTitle(spec.title)
        let entries = spec.series.enumerated().map { index, series in
            let empty = !series.y.contains { $0?.isFinite == true }
            return LegendEntry(name: series.name + (empty ? " (no data)" : ""), color: Palette.series(index),
                               marker: MarkerShape.allCases[index % MarkerShape.allCases.count], isBar: false)
        }
        let legendHeight = legendHeight(entries)
        let notesHeight = notesHeight(spec.notes)

        // Data ranges over finite values only.
        let xs = spec.series.flatMap(\.x).filter(\.isFinite)
        var ys = spec.series.flatMap { $0.y.compactMap { $0 } }.filter(\.isFinite)
        ys += spec.series.flatMap { ($0.band ?? []).compactMap { $0 }.flatMap { [$0.low, $0.high] } }.filter(\.isFinite)
        let xMinimum = xs.min() ?? 0, xMaximum = xs.max() ?? 1
        let labelHeight = lineHeight(style.tick)
        let bottomSpace = xAxisHeight(labelHeight: labelHeight, title: spec.xTitle) + legendHeight + notesHeight + style.margin
        let plotHeight = max(20, height - top - bottomSpace - measure.ascent(style.tick) / 2)
        let yScale = yScale(minimum: ys.min() ?? 0, maximum: ys.max() ?? 1, plotHeight: plotHeight, includeZero: false)
        let left = style.margin + yAxisWidth(yScale, title: spec.yTitle)
        let right = style.margin + measure.width("000", font: style.tick) / 2
        let plot = Rect(x: left, y: top + measure.ascent(style.tick) / 2, width: max(20, width - left - right), height: plotHeight)

        // x ticks: fewer until their labels fit side by side.
        var target = max(2, Int(plot.width / 30))
        var xScale = NiceScale(minimum: xMinimum, maximum: xMaximum, targetTicks: target, integer: spec.integerX)
        while target > 2 {
            let ticks = xScale.ticks.filter { $0 >= xMinimum - 1e-9 && $0 <= xMaximum + 1e-9 }
            let widest = NiceScale.labels(for: xScale.ticks).map { measure.width($0, font: style.tick) }.max() ?? 0
            if ticks.count < 2 || plot.width / Double(max(ticks.count, 1)) > widest * 1.6 { break }
            target -= 1
            xScale = NiceScale(minimum: xMinimum, maximum: xMaximum, targetTicks: target, integer: spec.integerX)
        }
        let padding = spec.integerX ? 0.5 : (xMaximum - xMinimum) * 0.03
        let xLow = xMinimum - padding, xHigh = xMaximum + padding
        let mapX = { (x: Double) in plot.x + (x - xLow) / max(xHigh - xLow, 1e-300) * plot.width }
        let mapY = { (y: Double) in plot.maxY - (y - yScale.lower) / max(yScale.upper - yScale.lower, 1e-300) * plot.height }

        drawYAxis(yScale, plot: plot, title: spec.yTitle, map: mapY)
        for (tick, label) in zip(xScale.ticks, NiceScale.labels(for: xScale.ticks)) where tick >= xLow && tick <= xHigh {
            let x = mapX(tick)
            canvas.line([Point(x, plot.maxY), Point(x, plot.maxY + style.tickLength)], .ink, width: 0.6, dashed: false)
            text(label, x: x, top: plot.maxY + style.tickLength + style.gap, font: style.tick, alignment: .middle)
        }
        canvas.line([Point(plot.x, plot.maxY), Point(plot.maxX, plot.maxY)], .ink, width: 0.8, dashed: false)
        canvas.line([Point(plot.x, plot.y), Point(plot.x, plot.maxY)], .ink, width: 0.8, dashed: false)
        drawXTitle(spec.xTitle, plot: plot, labelHeight: labelHeight)

        for (index, series) in spec.series.enumerated() {
            let color = Palette.series(index)
            if let band = series.band {
                for run in runs(band.indices.filter { band[$0].map { $0.low.isFinite && $0.high.isFinite } ?? false }) {
                    let upper = run.map { Point(mapX(series.x[$0]), mapY(band[$0]!.high)) }
                    let lower = run.reversed().map { Point(mapX(series.x[$0]), mapY(band[$0]!.low)) }
                    canvas.polygon(upper + lower, fill: color.withAlpha(0.18))
                }
            }
            let present = series.y.indices.filter { series.y[$0]?.isFinite == true }
            for run in runs(present) {
                canvas.line(run.map { Point(mapX(series.x[$0]), mapY(series.y[$0]!)) }, color, width: style.lineWidth, dashed: false)
            }
            let marker = MarkerShape.allCases[index % MarkerShape.allCases.count]
            for point in present {
                canvas.marker(marker, at: Point(mapX(series.x[point]), mapY(series.y[point]!)), size: style.markerSize,
                              fill: color, stroke: .white)
            }
        }
        let belowAxis = plot.maxY + xAxisHeight(labelHeight: labelHeight, title: spec.xTitle)
        drawLegend(entries, top: belowAxis)
        drawNotes(spec.notes, top: belowAxis + legendHeight)
    }

    /// Splits sorted indices into runs of consecutive ones (a gap breaks a line).
    func runs(_ indices: [Int]) -> [[Int]] {
        var result: [[Int]] = []
        for index in indices {
            if let last = result.last?.last, last == index - 1 {
                result[result.count - 1].append(index)
            } else {
                result.append([index])
            }
        }
        return result
    }
}
