// What a newcomer sees from the quick start: the tables for the bundled example checkpoint,
// compared with committed snapshots (Snapshots/; regenerate by running the same commands from
// the repository root and reviewing the difference).
import Foundation
import MoLATestSupport
import Testing

@Suite struct SnapshotTests {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    @Test(arguments: [
        (["info", "examples/mola-tiny-2468"], "info-mola-tiny-2468.txt"),
        (["redundancy", "examples/mola-tiny-2468", "--projections", "all"], "redundancy-mola-tiny-2468.txt"),
    ])
    func tablesMatchTheSnapshots(arguments: [String], snapshot: String) throws {
        let result = try runMolaInspect(arguments, directory: Fixtures.repository)
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty)
        let expected = try String(contentsOf: Self.snapshots.appendingPathComponent(snapshot), encoding: .utf8)
        #expect(result.standardOutput == expected)
    }
}
