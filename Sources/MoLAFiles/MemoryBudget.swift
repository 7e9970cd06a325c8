#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whether memory sized by a file's numbers would fit in this machine: asked before any buffer
/// whose size comes from a file (a shape, a count, a config field) or an option is allocated.
///
/// A size that cannot be met is refused with how much it would take, instead of an allocation
/// the kernel kills the process for (or an abort on a failed `malloc`). The limit is the
/// machine's physical memory, or the control group's limit when that is lower (containers).
public enum MemoryBudget {
    /// Bytes of memory this process could ever have.
    public static let machineBytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        let physical = pages > 0 && pageSize > 0 ? product([pages, pageSize]) : Int.max
        return min(physical, controlGroupLimit ?? .max)
    }()

    /// Throws unless `bytes` fit in the machine's memory.
    ///
    /// - Parameter purpose: what the memory is for, in words (`the Gram matrices of layer 3 q_proj`).
    /// - Throws: `MemoryBudgetError.exceedsMachine`.
    public static func require(bytes: Int, for purpose: @autoclosure () -> String) throws {
        guard bytes <= machineBytes else {
            throw MemoryBudgetError.exceedsMachine(purpose: purpose(), needed: bytes, available: machineBytes)
        }
    }

    /// Throws unless `count` elements of `elementSize` bytes each fit (overflow counts as too many).
    public static func require(elements count: Int, of elementSize: Int, for purpose: @autoclosure () -> String) throws {
        try require(bytes: bytes(elements: count, of: elementSize), for: purpose())
    }

    /// `count * elementSize`, or `Int.max` when the product overflows or a factor is negative.
    public static func bytes(elements count: Int, of elementSize: Int) -> Int {
        guard count >= 0, elementSize >= 0 else { return .max }
        let (product, overflow) = count.multipliedReportingOverflow(by: elementSize)
        return overflow ? .max : product
    }

    /// The product of `factors`, or `Int.max` when it overflows or a factor is negative.
    public static func product(_ factors: [Int]) -> Int {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return .max }
            let (product, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return .max }
            result = product
        }
        return result
    }

    /// The sum of `terms`, or `Int.max` when it overflows or a term is negative.
    public static func sum(_ terms: [Int]) -> Int {
        var result = 0
        for term in terms {
            guard term >= 0 else { return .max }
            let (total, overflow) = result.addingReportingOverflow(term)
            if overflow { return .max }
            result = total
        }
        return result
    }

    /// `memory.max` of the cgroup v2 hierarchy this process runs in, when it sets one.
    private static var controlGroupLimit: Int? {
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Memory a file or an option asks for that this machine does not have.
public enum MemoryBudgetError: Error, Equatable, CustomStringConvertible {
    case exceedsMachine(purpose: String, needed: Int, available: Int)

    public var description: String {
        switch self {
        case let .exceedsMachine(purpose, needed, available):
            let amount = needed == .max ? "more than 2^63 bytes" : "\(ByteCount(needed))"
            return "\(purpose) would need \(amount) of memory; this machine has \(ByteCount(available))"
        }
    }
}
