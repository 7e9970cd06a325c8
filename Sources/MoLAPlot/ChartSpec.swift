/// Charts as pure data: series, labels and scales. The plotting library knows nothing of
/// checkpoints; callers turn their results into these specs and `ChartRenderer` draws them.
public enum Chart: Sendable {
    case line(LineChart)
    case heatmap(Heatmap)
    case heatmapGrid(HeatmapGrid)
    case bars(BarChart)
    /// Charts one above the other, sharing the width and splitting the height equally.
    indirect case stacked([Chart])
}

/// Lines with markers over a numeric x axis, with an optional min-max band per series.
public struct LineChart: Sendable {
    public var title: String?
    public var xTitle: String
    public var yTitle: String
    public var series: [LineSeries]
    /// Integer ticks only on x (layers).
    public var integerX: Bool
    /// Lines printed under the legend, e.g. what is missing from the data.
    public var notes: [String]

    public init(title: String? = nil, xTitle: String, yTitle: String, series: [LineSeries], integerX: Bool = true,
                notes: [String] = []) {
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.series = series
        self.integerX = integerX
        self.notes = notes
    }
}

/// One line: points (a nil or non-finite y leaves a gap) and an optional band.
public struct LineSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double?]
    /// Per point `(low, high)`, drawn as a translucent band; nil entries leave a gap.
    public var band: [(low: Double, high: Double)?]?

    public init(name: String, x: [Double], y: [Double?], band: [(low: Double, high: Double)?]? = nil) {
        precondition(x.count == y.count && (band == nil || band!.count == x.count), "LineSeries: lengths differ")
        self.name = name
        self.x = x
        self.y = y
        self.band = band
    }
}

/// A matrix of values as colored cells, with a colorbar and per-cell values where they fit.
public struct Heatmap: Sendable {
    public var title: String?
    public var xTitle: String
    public var yTitle: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// `values[row][column]`; nil or non-finite cells are drawn as missing.
    public var values: [[Double?]]
    public var colorbarTitle: String
    public var notes: [String]

    public init(title: String? = nil, xTitle: String, yTitle: String, rowLabels: [String], columnLabels: [String],
                values: [[Double?]], colorbarTitle: String, notes: [String] = []) {
        precondition(values.count == rowLabels.count && values.allSatisfy { $0.count == columnLabels.count },
                     "Heatmap: values do not match the labels")
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.colorbarTitle = colorbarTitle
        self.notes = notes
    }
}

/// Small multiples: a grid of heatmaps (each may have its own size) sharing one color scale.
public struct HeatmapGrid: Sendable {
    public var title: String?
    public var panels: [HeatmapPanel]
    public var colorbarTitle: String
    public var notes: [String]

    public init(title: String? = nil, panels: [HeatmapPanel], colorbarTitle: String, notes: [String] = []) {
        self.title = title
        self.panels = panels
        self.colorbarTitle = colorbarTitle
        self.notes = notes
    }
}

/// One panel of a `HeatmapGrid`.
public struct HeatmapPanel: Sendable {
    public var title: String
    public var rowLabels: [String]
    public var columnLabels: [String]
    public var values: [[Double?]]

    public init(title: String, rowLabels: [String], columnLabels: [String], values: [[Double?]]) {
        precondition(values.count == rowLabels.count && values.allSatisfy { $0.count == columnLabels.count },
                     "HeatmapPanel: values do not match the labels")
        self.title = title
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
    }
}

/// Bars over categories; several series make grouped bars.
public struct BarChart: Sendable {
    public var title: String?
    public var xTitle: String
    public var yTitle: String
    public var categories: [String]
    public var series: [BarSeries]
    public var notes: [String]

    public init(title: String? = nil, xTitle: String, yTitle: String, categories: [String], series: [BarSeries],
                notes: [String] = []) {
        precondition(series.allSatisfy { $0.values.count == categories.count }, "BarChart: values do not match the categories")
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.categories = categories
        self.series = series
        self.notes = notes
    }
}

public struct BarSeries: Sendable {
    public var name: String
    /// One value per category; nil leaves the slot empty.
    public var values: [Double?]
    /// Per category, the half-length of an error bar drawn over the bar (a standard deviation,
    /// say); nil entries, or no list, draw none.
    public var errors: [Double?]?

    public init(name: String, values: [Double?], errors: [Double?]? = nil) {
        precondition(errors == nil || errors!.count == values.count, "BarSeries: \(errors!.count) errors for \(values.count) values")
        self.name = name
        self.values = values
        self.errors = errors
    }

    /// The error bar of category `index`, when there is a finite one.
    func error(at index: Int) -> Double? {
        guard let error = errors?[index] ?? nil, error.isFinite else { return nil }
        return abs(error)
    }
}
