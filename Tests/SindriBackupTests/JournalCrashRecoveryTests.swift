import SindriJournal
import Testing
import SindriBackup

/// A crash point of the realistic restore: after `crashAfter` events, with steps announced in
/// batches of `batchSize`.
struct JournalCrashCase: CustomTestStringConvertible, Sendable {
    var batchSize: Int
    var crashAfter: Int
    var testDescription: String { "batch \(batchSize), crash after event \(crashAfter)" }
}

/// Kill -9 / power loss at every point of a realistic restore (every journal write, fsync and
/// file-system call), with the unsynced journal tail lost, kept, torn or zero-filled: recovery must
/// always bring the home back to exactly its prior tree, or, if the `committed` record made it to
/// disk, leave the restored tree; and crashing during recovery must not change that.
extension JournalStep {
    var isAttributeChangeForTests: Bool {
        if case .setAttributes = self { return true }
        return false
    }
}

@Suite struct JournalCrashRecoveryTests {
    static let scenario = JournalScenario.realistic

    static func runToEnd(batchSize: Int) -> (events: Int, disk: JournalFakeDisk, outcome: TransactionOutcome?) {
        var applier = JournalFakeApplier(disk: JournalFakeDisk(tree: scenario.initial))
        let outcome = try? applier.restore(scenario.header, batches: scenario.batches(of: batchSize))
        return (applier.events, applier.disk, outcome)
    }

    static let finalHome = runToEnd(batchSize: 1).disk.tree.home

    static let crashCases: [JournalCrashCase] = [1, 4].flatMap { size in
        (0..<runToEnd(batchSize: size).events).map { JournalCrashCase(batchSize: size, crashAfter: $0) }
    }

    /// Crashes the restore after `crash.crashAfter` events and returns the disk as the power cut
    /// leaves it.
    static func crashedDisk(_ crash: JournalCrashCase, _ fate: JournalTailFate) -> JournalFakeDisk? {
        var applier = JournalFakeApplier(disk: JournalFakeDisk(tree: scenario.initial), budget: crash.crashAfter)
        do {
            _ = try applier.restore(scenario.header, batches: scenario.batches(of: crash.batchSize))
            return nil
        } catch {
            return applier.disk.afterCrash(fate)
        }
    }

    static func status(of journal: [UInt8]) -> JournalStatus? {
        guard let records = try? JournalCodec.decode(journal) else { return nil }
        return try? JournalRecovery.status(of: records).get()
    }

    /// Checks the home after a recovery: the final tree if the commit record had reached the
    /// disk, else the initial tree with no original left parked.
    static func expectRecovered(_ tree: JournalFakeTree, committed: Bool, _ comment: Comment) {
        if committed {
            #expect(tree.home == finalHome, comment)
        } else {
            #expect(tree.home == scenario.initial.home, comment)
        }
        #expect(tree.aside.isEmpty, comment)
    }

    @Test func theScenarioChangesTheHomeAndCleansUpAfterCommit() {
        for size in [1, 4] {
            let run = Self.runToEnd(batchSize: size)
            #expect(run.outcome == .committed)
            #expect(run.disk.tree.home == Self.finalHome)
            #expect(run.disk.tree.aside.isEmpty && run.disk.tree.staging.isEmpty)
            #expect(Self.status(of: run.disk.durable) == .committed)
            #expect(run.disk.volatile.isEmpty)
        }
        #expect(Self.finalHome != Self.scenario.initial.home)
        #expect(Self.finalHome[.home(Array(".vimrc.bak".utf8))] == Self.scenario.initial.home[.home(Array(".vimrc".utf8))])
        #expect(Self.crashCases.count > 150)
    }

    @Test(arguments: crashCases)
    func crashAtEveryPointIsRecovered(_ crash: JournalCrashCase) throws {
        for fate in JournalTailFate.allCases {
            let disk = try #require(Self.crashedDisk(crash, fate), "the budget must stop the restore")
            let found = Self.status(of: disk.durable)
            let committed = found == .committed
            // What the journal must say once recovery is over.
            let expected: JournalStatus = committed ? .committed : found == .empty ? .empty : .rolledBack
            var recovery = JournalFakeApplier(disk: disk)
            let outcome = try recovery.recover()
            #expect(outcome == (committed ? .committed : found == .empty ? .nothingToRecover : .rolledBack), "fate \(fate)")
            Self.expectRecovered(recovery.disk.tree, committed: committed, "fate \(fate)")
            #expect(recovery.disk.tree.staging.isEmpty, "txn directory removed after recovery (fate \(fate))")
            #expect(Self.status(of: recovery.disk.durable) == expected, "fate \(fate)")

            // Recovering once more finds nothing to do and changes nothing.
            var again = JournalFakeApplier(disk: recovery.disk)
            let second = try again.recover()
            #expect(second == outcome)
            #expect(again.disk.tree.nodes == recovery.disk.tree.nodes)
            #expect(again.performedUndos.isEmpty)
        }
    }

    @Test(arguments: crashCases.filter { $0.batchSize == 1 })
    func crashDuringRecoveryThenRecoverAgain(_ crash: JournalCrashCase) throws {
        // `torn` keeps every complete unsynced line and tears the last one; the first crash's other
        // fates are covered by crashAtEveryPointIsRecovered (this test is the expensive one).
        for fate in [JournalTailFate.torn] {
            let disk = try #require(Self.crashedDisk(crash, fate))
            let found = Self.status(of: disk.durable)
            // Recovery of a committed or empty journal only removes txn-<id>.
            if found == .committed || found == .empty { continue }
            var probe = JournalFakeApplier(disk: disk)
            _ = try probe.recover()
            for recoveryCrash in 0..<probe.events {
                for secondFate in [JournalTailFate.lost, .torn] {
                    var interrupted = JournalFakeApplier(disk: disk, budget: recoveryCrash)
                    #expect(throws: JournalSimulatedCrash.self) { _ = try interrupted.recover() }
                    var final = JournalFakeApplier(disk: interrupted.disk.afterCrash(secondFate))
                    let outcome = try final.recover()
                    let comment: Comment = "fate \(fate), recovery crash at \(recoveryCrash), then \(secondFate)"
                    #expect(outcome == .rolledBack, comment)
                    Self.expectRecovered(final.disk.tree, committed: false, comment)
                }
            }
        }
    }

    @Test(arguments: Array(0..<JournalScenario.realistic.steps.count))
    func aFailingStepRollsBackEverythingRecorded(_ failing: Int) throws {
        for size in [1, 4] {
            var applier = JournalFakeApplier(disk: JournalFakeDisk(tree: Self.scenario.initial))
            applier.failingSteps = [failing]
            let outcome = try applier.restore(Self.scenario.header, batches: Self.scenario.batches(of: size))
            #expect(outcome == .rolledBack)
            #expect(applier.disk.tree.home == Self.scenario.initial.home)
            #expect(applier.disk.tree.aside.isEmpty && applier.disk.tree.staging.isEmpty)
            // Every step with an intent is undone, newest first, the in-flight ones included.
            let recorded = min((failing / size + 1) * size, Self.scenario.steps.count)
            #expect(applier.handedOutUndos == Array((0..<recorded).reversed()))
            #expect(Self.status(of: applier.disk.durable) == .rolledBack)
        }
    }

    /// The fsync of the `committed` record fails: nothing is undone, and the next run keeps the
    /// restore if the record reached the disk after all, or rolls it back if it did not.
    @Test(arguments: JournalTailFate.allCases)
    func anUncertainCommitIsSettledByTheNextRun(_ fate: JournalTailFate) throws {
        var applier = JournalFakeApplier(disk: JournalFakeDisk(tree: Self.scenario.initial))
        applier.failCommitRecordSync = true
        let outcome = try applier.restore(Self.scenario.header, batches: Self.scenario.batches(of: 4))
        guard case .commitUncertain = outcome else {
            Issue.record("expected commitUncertain, got \(outcome)")
            return
        }
        #expect(applier.disk.tree.home == Self.finalHome)
        #expect(!applier.disk.tree.aside.isEmpty, "the parked originals are kept until it is settled")
        var next = JournalFakeApplier(disk: applier.disk.afterCrash(fate))
        let settled = try next.recover()
        let committed = fate == .kept
        #expect(settled == (committed ? .committed : .rolledBack))
        Self.expectRecovered(next.disk.tree, committed: committed, "fate \(fate)")
    }

    @Test(arguments: [2, 8, 12, 17])
    func aFailedUndoEndsInRollbackFailedAndIsRetriedByRecovery(_ failingUndo: Int) throws {
        var applier = JournalFakeApplier(disk: JournalFakeDisk(tree: Self.scenario.initial))
        applier.failingSteps = [20]
        applier.failingUndos = [failingUndo]
        let outcome = try applier.restore(Self.scenario.header, batches: Self.scenario.batches(of: 1))
        guard case .rollbackFailed(let failures) = outcome else {
            Issue.record("expected rollbackFailed, got \(outcome)")
            return
        }
        // The failed undo is reported; an undo that depends on it (moving the original back
        // over the entry that could not be removed) refuses rather than overwrite.
        #expect(failures.first?.index == failingUndo)
        #expect(failures.allSatisfy { $0.index == failingUndo || $0.reason.contains("not overwritten") })
        #expect(failures.first?.reason.contains("EIO") == true)
        #expect(applier.disk.tree.home != Self.scenario.initial.home)
        guard case .rollbackFailed = Self.status(of: applier.disk.durable) else {
            Issue.record("the journal must end in rollbackFailed")
            return
        }
        // Whatever the undo could not put back is still parked or in place, never lost: the
        // next run retries only what is left and the home comes back.
        var retry = JournalFakeApplier(disk: applier.disk)
        #expect(try retry.recover() == .rolledBack)
        #expect(retry.disk.tree.home == Self.scenario.initial.home)
        #expect(retry.disk.tree.aside.isEmpty)
        #expect(retry.handedOutUndos.contains(failingUndo))
        let attributeSteps = Self.scenario.steps.indices.filter { Self.scenario.steps[$0].isAttributeChangeForTests }
        #expect(Set(retry.handedOutUndos) == Set(failures.map(\.index) + attributeSteps))
    }
}
