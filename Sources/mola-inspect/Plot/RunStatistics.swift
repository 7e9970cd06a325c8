/// Several runs of one method (seeds) summarised for a figure: their mean and spread.
enum RunStatistics {
    /// `1 run`, `3 runs`.
    static func runs(_ count: Int) -> String { count == 1 ? "1 run" : "\(count) runs" }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    /// The sample standard deviation (n - 1; 0 for one value).
    static func standardDeviation(_ values: [Double]) -> Double {
        let center = mean(values)
        return (values.map { ($0 - center) * ($0 - center) }.reduce(0, +) / Double(max(values.count - 1, 1))).squareRoot()
    }

    /// `--labels` (one per input), else `defaults`.
    static func labels(_ legend: LegendOptions, inputs: Int, defaults: () -> [String]) throws -> [String] {
        try PlotCommand.givenLabels(legend, inputs: inputs) ?? defaults()
    }

    /// Reports grouped by their labels (the runs of one method), in the order labels first appear.
    static func grouped<Report>(_ reports: [Report], labels: [String]) -> [(label: String, reports: [Report])] {
        var methods: [(label: String, reports: [Report])] = []
        for (label, report) in zip(labels, reports) {
            if let index = methods.firstIndex(where: { $0.label == label }) {
                methods[index].reports.append(report)
            } else {
                methods.append((label, [report]))
            }
        }
        return methods
    }
}
