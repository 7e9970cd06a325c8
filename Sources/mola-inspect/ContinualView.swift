import Foundation
import MoLATrain

/// The `continual` report as text: R with one row per domain trained, then OP and BWT.
enum ContinualView {
    static func table(_ report: ContinualReport) -> String {
        var table = TextTable(headers: ["after training"] + report.domains, rightAligned: Set(1...report.domains.count))
        for (domain, row) in zip(report.domains, report.accuracies) {
            table.append([domain] + row.map { String(format: "%.3f", $0) })
        }
        return table.rendered() + "\n"
            + String(format: "overall performance (OP)  %.3f\nbackward transfer (BWT)   %+.3f", report.overallPerformance, report.backwardTransfer)
            + "  (questions per domain: " + report.questions.map(String.init).joined(separator: ", ") + ")\n"
    }
}
