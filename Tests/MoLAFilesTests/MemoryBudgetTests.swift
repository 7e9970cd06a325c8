// "Would this fit": sizes added up without overflow, refused with what they would need.
import Foundation
import MoLAFiles
import Testing

@Suite struct MemoryBudgetTests {
    @Test func addsUpAndRefusesWhatDoesNotFit() throws {
        var estimate = MemoryEstimate()
        estimate.add(3, 4)                       // 12 floats
        estimate.add(2, elementBytes: MemorySize.integer)
        #expect(estimate.bytes == 12 * 4 + 16 && !estimate.overflowed)
        #expect(estimate.repeated(3).bytes == 3 * 64)
        try estimate.require(for: "a small thing", available: 64)
        #expect(throws: MemoryError.exceedsMachine(what: "a small thing", needed: 64, available: 63, source: "here")) {
            try estimate.require(for: "a small thing", source: "here", available: 63)
        }
        #expect(MemoryError.exceedsMachine(what: "the weights", needed: 137_438_953_472, available: 17_179_869_184, source: "config.json")
            .description == "the weights would need 128 GiB of memory, more than the machine's 16 GiB (config.json)")
    }

    /// 2^40 x 2^40 floats cannot even be counted in 64 bits: refused, never a trap.
    @Test func overflowIsMoreThanAnyMachine() throws {
        var estimate = MemoryEstimate()
        estimate.add(1 << 40, 1 << 40)
        #expect(estimate.overflowed && !estimate.fits())
        var sum = MemoryEstimate()
        sum.add(Int.max, elementBytes: 1)
        sum.add(1, elementBytes: 1)
        #expect(sum.overflowed)
        #expect(throws: MemoryError.exceedsMachine(what: "x", needed: nil, available: 100, source: nil)) {
            try estimate.require(for: "x", available: 100)
        }
        #expect(MemoryError.exceedsMachine(what: "x", needed: nil, available: 1 << 30, source: nil).description
            == "x would need more than 8 EiB of memory, more than the machine's 1.0 GiB")
    }

    @Test func theMachineHasSomeMemory() {
        #expect(MemoryBudget.machineBytes > 1 << 20)
        #expect(MemoryBudget.formatted(1536) == "1.5 KiB")
        #expect(MemoryBudget.formatted(100) == "100 bytes")
    }
}
