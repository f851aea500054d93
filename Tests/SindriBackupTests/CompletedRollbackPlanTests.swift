import Foundation
import SindriJournal
import Testing
@testable import SindriBackup

/// The pure decisions of a three-way rollback, the fingerprint in the journal, and the records
/// that say how far a rollback of a committed restore got.
@Suite struct CompletedRollbackPlanTests {
    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }
    static let header = JournalHeader(transactionID: "20261203T000000-000001", createdAt: 0, mode: "full", archive: "b.tar.gz",
                                      snapshotName: "snapshot-20261203T000000-000001.tar.gz")
    static let attributes = FileAttributes(mode: 0o644, uid: 1, gid: 1, mtimeSeconds: 100, mtimeNanoseconds: 5)
    static let placed = EntryFingerprint(kind: .file, size: 3, mtimeSeconds: 10, mtimeNanoseconds: 7, mode: 0o644, sha256: "ab")

    @Test("a placed entry is removed only while it matches its fingerprint; anything else is kept", arguments: [
        (CompletedRollbackPlan.Observation.absent, CompletedRollbackPlan.ClearDecision.nothing),
        (.entry(placed), .remove),
        (.entry(EntryFingerprint(kind: .file, size: 3, mtimeSeconds: 10, mtimeNanoseconds: 7, mode: 0o644, sha256: "cd")), .keep),  // same size and time, other bytes
        (.entry(EntryFingerprint(kind: .file, size: 4, mtimeSeconds: 11, mtimeNanoseconds: 0, mode: 0o644)), .keep),  // edited
        (.entry(EntryFingerprint(kind: .file, size: 3, mtimeSeconds: 10, mtimeNanoseconds: 7, mode: 0o600, sha256: "ab")), .keep),  // chmod
        (.entry(EntryFingerprint(kind: .symlink, size: 3, mtimeSeconds: 10, mtimeNanoseconds: 7, mode: 0o777, linkTarget: [1])), .keep),
        (.directory(empty: true), .keep),
        (.directory(empty: false), .keep),
    ])
    func placedDecisions(observed: CompletedRollbackPlan.Observation, expected: CompletedRollbackPlan.ClearDecision) {
        let item = CompletedRollbackPlan.ClearItem.placed(path: Self.b("f"), placed: Self.placed, originalReturns: true)
        #expect(CompletedRollbackPlan.decide(item, observed: observed) == expected)
    }

    @Test("an old journal without a fingerprint never deletes what it finds")
    func oldJournalKeeps() {
        let item = CompletedRollbackPlan.ClearItem.placed(path: Self.b("f"), placed: nil, originalReturns: false)
        #expect(CompletedRollbackPlan.decide(item, observed: .entry(Self.placed)) == .keep)
        #expect(CompletedRollbackPlan.decide(item, observed: .absent) == .nothing)
    }

    @Test("a created directory: removed when empty, left when it gained files, kept aside when an original comes back")
    func directoryDecisions() {
        let plain = CompletedRollbackPlan.ClearItem.createdDirectory(path: Self.b("d"), originalReturns: false)
        let returning = CompletedRollbackPlan.ClearItem.createdDirectory(path: Self.b("d"), originalReturns: true)
        #expect(CompletedRollbackPlan.decide(plain, observed: .directory(empty: true)) == .remove)
        #expect(CompletedRollbackPlan.decide(plain, observed: .directory(empty: false)) == .leave)
        #expect(CompletedRollbackPlan.decide(returning, observed: .directory(empty: false)) == .keep)
        #expect(CompletedRollbackPlan.decide(plain, observed: .entry(Self.placed)) == .keep)
        #expect(CompletedRollbackPlan.decide(plain, observed: .absent) == .nothing)
    }

    @Test("a merge-mode backup is renamed back only while unchanged; otherwise the snapshot gives the original")
    func backupDecisions() {
        let a = Self.attributes
        var touched = a
        touched.mtimeNanoseconds += 1
        #expect(CompletedRollbackPlan.decideBackup(original: a, pathPresent: false, backupAttributes: a) == .renameBack)
        #expect(CompletedRollbackPlan.decideBackup(original: a, pathPresent: false, backupAttributes: touched) == .extract(backupLeft: true))
        #expect(CompletedRollbackPlan.decideBackup(original: a, pathPresent: false, backupAttributes: nil) == .extract(backupLeft: false))
        #expect(CompletedRollbackPlan.decideBackup(original: a, pathPresent: true, backupAttributes: a) == .alreadyBack)
    }

    @Test("the plan: clear newest first, originals in journal order, attributes newest first; originalReturns set where an original was parked")
    func planShape() {
        let steps: [JournalStep] = [
            .setAttributes(path: [], previous: Self.attributes),
            .createDirectory(path: Self.b("d")),
            .placeNew(path: Self.b("d/x"), stagingName: Self.b("s0"), placed: Self.placed),
            .setAttributes(path: Self.b("f"), previous: Self.attributes),
            .moveAside(path: Self.b("f"), asideName: Self.b("a1")),
            .replace(path: Self.b("f"), stagingName: Self.b("s1"), placed: Self.placed),
            .setAttributes(path: Self.b("g"), previous: Self.attributes),
            .keepBackup(path: Self.b("g"), backupPath: Self.b("g.bak")),
            .replace(path: Self.b("g"), stagingName: Self.b("s2"), placed: nil),
        ]
        let plan = CompletedRollbackPlan(header: Self.header, steps: steps)
        #expect(plan.clear.map(\.path) == [Self.b("g"), Self.b("f"), Self.b("d/x"), Self.b("d")])
        #expect(plan.clear[1] == .placed(path: Self.b("f"), placed: Self.placed, originalReturns: true))
        #expect(plan.clear[2] == .placed(path: Self.b("d/x"), placed: Self.placed, originalReturns: false))
        #expect(plan.returns == [.extract(path: Self.b("f")), .renameBackup(backup: Self.b("g.bak"), path: Self.b("g"), original: Self.attributes)])
        #expect(plan.attributes.map(\.path) == [Self.b("g"), Self.b("f"), []])
    }

    @Test("kept names never collide: -2, -3 ... when taken")
    func keptNames() {
        #expect(CompletedRollbackPlan.keptName(for: Self.b("a"), identifier: "X", attempt: 1) == Self.b("a.sindri-kept-X"))
        #expect(CompletedRollbackPlan.keptName(for: Self.b("a"), identifier: "X", attempt: 3) == Self.b("a.sindri-kept-X-3"))
    }

    @Test("the fingerprint survives the journal line, and a step without one (an old journal) still decodes")
    func fingerprintCodec() throws {
        let symlink = EntryFingerprint(kind: .symlink, size: 2, mtimeSeconds: -5, mtimeNanoseconds: 999_999_999, mode: 0o777, linkTarget: [0xFF, 0x2F])
        let records: [JournalRecord] = [
            .begin(Self.header),
            .intent(index: 0, step: .placeNew(path: Self.b("f"), stagingName: Self.b("s0"), placed: Self.placed)),
            .intent(index: 1, step: .replace(path: Self.b("l"), stagingName: Self.b("s1"), placed: symlink)),
            .intent(index: 2, step: .placeNew(path: Self.b("old"), stagingName: Self.b("s2"))),
            .done(index: 0), .commitStarted, .committed, .revertStarted(reason: "sindri rollback"), .revertCleared, .reverted,
        ]
        let bytes = JournalCodec.encode(records)
        #expect(try JournalCodec.decode(bytes) == records)
        #expect(JournalCodec.countIntents(bytes) == 3)
        let mixed: [JournalRecord] = [.begin(Self.header), .intent(index: 0, step: .setAttributes(path: [], previous: Self.attributes)),
                                      .intent(index: 1, step: .createDirectory(path: Self.b("d"))), .intent(index: 2, step: .moveAside(path: Self.b("f"), asideName: Self.b("a"))),
                                      .intent(index: 3, step: .replace(path: Self.b("f"), stagingName: Self.b("s"))), .done(index: 0)]
        #expect(JournalCodec.countIntents(JournalCodec.encode(mixed)) == 2, "createDirectory and replace; not attributes nor parking")
        let old = Array(#"{"op":"placeNew","path":"Zg==","staging":"czA="}"#.utf8)
        let step = try JSONDecoderHelper.decode(JournalStep.self, old)
        #expect(step == .placeNew(path: Self.b("f"), stagingName: Self.b("s0"), placed: nil))
    }

    @Test("revert records move the status committed -> reverting -> reverted, and nothing may follow")
    func revertStatus() {
        let base: [JournalRecord] = [.begin(Self.header), .intent(index: 0, step: .createDirectory(path: Self.b("d"))), .done(index: 0), .commitStarted, .committed]
        #expect(JournalRecovery.status(of: base + [.revertStarted(reason: "r")]) == .success(.reverting(cleared: false)))
        #expect(JournalRecovery.status(of: base + [.revertStarted(reason: "r"), .revertCleared]) == .success(.reverting(cleared: true)))
        #expect(JournalRecovery.status(of: base + [.revertStarted(reason: "r"), .revertCleared, .reverted]) == .success(.reverted))
        #expect((try? JournalRecovery.status(of: base + [.revertStarted(reason: "r"), .reverted]).get()) == nil, "reverted before cleared")
        #expect((try? JournalRecovery.status(of: base.dropLast() + [.revertStarted(reason: "r")]).get()) == nil, "revert of an uncommitted restore")
        #expect((try? JournalRecovery.status(of: base + [.revertStarted(reason: "r"), .revertCleared, .reverted, .revertStarted(reason: "r")]).get()) == nil)
        // An unfinished revert is not an unfinished restore: the crash recovery leaves it to sindri rollback.
        if case .nothingToDo = JournalRecovery.plan(from: base + [.revertStarted(reason: "r")]) {} else { Issue.record("recovery must not undo a reverting journal") }
        #expect(JournalStatus.reverting(cleared: true).label == "partially rolled back: run sindri rollback again")
        #expect(JournalStatus.reverted.isFinal && !JournalStatus.reverting(cleared: false).isFinal)
    }
}

enum JSONDecoderHelper {
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
