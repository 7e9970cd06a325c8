import Foundation

/// Whether an allocation fits the machine: the one owner of that question. Code that sizes
/// buffers from a file or an option adds them up in a `MemoryEstimate` (overflow-checked) and
/// calls `require(for:source:)` before allocating anything.
///
/// The machine's memory is its physical memory (`sysconf(_SC_PHYS_PAGES) * _SC_PAGESIZE`, else
/// `MemTotal` of `/proc/meminfo`), or the cgroup's limit (`/sys/fs/cgroup/memory.max`) when
/// that is lower, as in a container.
public enum MemoryBudget {
    /// Bytes of memory this process can have at most; computed once.
    public static let machineBytes: Int = {
        var bytes = physicalBytes() ?? Int.max
        if let limit = cgroupLimit() { bytes = min(bytes, limit) }
        return bytes
    }()

    private static func physicalBytes() -> Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, pageSize > 0 {
            let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
            return overflow ? Int.max : bytes
        }
        // `MemTotal:       24683652 kB`
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kilobytes.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kilobytes * 1024
    }

    /// cgroup v2's limit: a number of bytes, or `max` (none).
    private static func cgroupLimit() -> Int? {
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `1.5 GiB`, `512 MiB`, `12 KiB`, `100 bytes`.
    public static func formatted(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard bytes >= 1024 else { return "\(bytes) bytes" }
        var value = Double(bytes) / 1024, unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return (value < 10 ? String(format: "%.1f", value) : String(format: "%.0f", value)) + " " + units[unit]
    }
}

/// Bytes that buffers will take, added up before they exist; arithmetic that would overflow
/// 64 bits is remembered, not trapped (the answer is then "more than the machine has").
public struct MemoryEstimate: Sendable, Equatable {
    /// The total so far; meaningless once `overflowed`.
    public private(set) var bytes = 0
    public private(set) var overflowed = false

    public init() {}

    /// Adds `count` elements of `elementBytes` each, `count` the product of `factors` (negative factors count as 0).
    public mutating func add(_ factors: Int..., elementBytes: Int = MemorySize.float) {
        var product = elementBytes
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: max(factor, 0))
            guard !overflow else { overflowed = true; return }
            product = next
        }
        let (sum, overflow) = bytes.addingReportingOverflow(product)
        if overflow { overflowed = true } else { bytes = sum }
    }

    /// Adds another estimate.
    public mutating func add(_ other: MemoryEstimate) {
        guard !other.overflowed else { overflowed = true; return }
        add(other.bytes, elementBytes: 1)
    }

    /// This estimate counted `count` times.
    public func repeated(_ count: Int) -> MemoryEstimate {
        var result = MemoryEstimate()
        if overflowed { result.overflowed = true } else { result.add(bytes, count, elementBytes: 1) }
        return result
    }

    /// Whether it fits in `available` bytes.
    public func fits(in available: Int = MemoryBudget.machineBytes) -> Bool { !overflowed && bytes <= available }

    /// Refuses an estimate larger than the machine's memory.
    ///
    /// - Parameters:
    ///   - what: what would be allocated, for the error (`the weights config.json describes`).
    ///   - source: the file or option it comes from, shown in parentheses.
    /// - Throws: `MemoryError.exceedsMachine`.
    public func require(for what: String, source: String? = nil, available: Int = MemoryBudget.machineBytes) throws {
        guard !fits(in: available) else { return }
        throw MemoryError.exceedsMachine(what: what, needed: overflowed ? nil : bytes, available: available, source: source)
    }
}

/// Bytes per element of the buffers the estimates count.
public enum MemorySize {
    public static let float = MemoryLayout<Float>.size
    public static let integer = MemoryLayout<Int>.size
}

/// An allocation refused because the machine does not have the memory.
public enum MemoryError: Error, Equatable, CustomStringConvertible {
    /// `needed` is nil when the size does not even fit in 64 bits.
    case exceedsMachine(what: String, needed: Int?, available: Int, source: String?)

    public var description: String {
        switch self {
        case let .exceedsMachine(what, needed, available, source):
            "\(what) would need \(needed.map(MemoryBudget.formatted) ?? "more than 8 EiB") of memory, more than the machine's "
                + MemoryBudget.formatted(available) + (source.map { " (\($0))" } ?? "")
        }
    }
}
