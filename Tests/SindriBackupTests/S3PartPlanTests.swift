import Testing
@testable import SindriBackup

/// The upload's part plan holds S3's limits and the 256 MiB memory bound for every archive size
/// S3 can store, from a kilobyte to the 5 TiB object limit.
@Suite("S3 part plan")
struct S3PartPlanTests {
    static let kib: UInt64 = 1 << 10
    static let mib: UInt64 = 1 << 20
    static let gib: UInt64 = 1 << 30
    static let tib: UInt64 = 1 << 40

    static let sizes: [UInt64] = [
        1 * kib, 1 * mib, 8 * mib, 8 * mib + 1, 100 * mib, 1 * gib, 10 * gib, 100 * gib, 140 * gib, 141 * gib,
        300 * gib, 316 * gib, 317 * gib, 500 * gib, 700 * gib, 701 * gib, 1 * tib, 2 * tib, 4 * tib, 5 * tib,
    ]

    @Test("parts <= 10,000, each 5 MiB to 5 GiB but the last, memory <= 256 MiB", arguments: sizes)
    func limitsHold(size: UInt64) {
        let plan = S3PartPlan(expectedBytes: size)
        #expect(plan.partCount(for: size) <= S3PartPlan.maximumParts)
        // Headroom: an estimate 10% short still fits.
        #expect(plan.partCount(for: size + size / 10) <= S3PartPlan.maximumParts)
        #expect(plan.partSize >= S3PartPlan.minimumPartSize && plan.partSize <= S3PartPlan.maximumPartSize)
        #expect(S3PartPlan.firstPartSize >= S3PartPlan.minimumPartSize)
        #expect(plan.memoryBytes <= 256 << 20, "\(plan) takes \(plan.memoryBytes >> 20) MiB")
        #expect(plan.maxInFlight >= 3)
    }

    @Test("small archives keep their parts in memory; past what six parts in memory allow, parts are spooled")
    func memoryThenSpool() {
        let small = S3PartPlan(expectedBytes: 1 * Self.gib)
        #expect(!small.spooled && small.partSize == 16 << 20 && small.maxInFlight == 6)
        #expect(small.spoolBytes == 0)
        let huge = S3PartPlan(expectedBytes: 5 * Self.tib)
        #expect(huge.spooled)
        #expect(huge.memoryBytes <= 32 << 20)
        // The spool needs a slot per part in flight plus the one filling.
        #expect(huge.spoolBytes == (huge.maxInFlight + 1) * huge.partSize)
        // Somewhere between, the plan switches; memory never passes the bound on the way.
        var previous = small
        for gib in stride(from: UInt64(1), through: 5 * 1024, by: 7) {
            let plan = S3PartPlan(expectedBytes: gib * Self.gib)
            #expect(plan.partSize >= previous.partSize)
            #expect(plan.memoryBytes <= 256 << 20)
            previous = plan
        }
    }

    @Test("an archive that fits in the first part is one part")
    func singlePart() {
        let plan = S3PartPlan(expectedBytes: 0)
        #expect(plan.partCount(for: 1024) == 1)
        #expect(plan.partCount(for: UInt64(S3PartPlan.firstPartSize)) == 1)
        #expect(plan.partCount(for: UInt64(S3PartPlan.firstPartSize) + 1) == 2)
    }
}
