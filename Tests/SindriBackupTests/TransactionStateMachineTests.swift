import SindriJournal
import Testing
import SindriBackup

/// Every transition of ``RestoreTransaction``, without a file system.
@Suite struct TransactionStateMachineTests {
    static let header = JournalHeader(transactionID: "t1", createdAt: 1, mode: "safe", archive: "a.tar.gz", snapshotName: "snapshot-t1.tar.gz")
    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }
    static let moveAside = JournalStep.moveAside(path: b("d/f"), asideName: b("0"))
    static let replace = JournalStep.replace(path: b("d/f"), stagingName: b("s0"))
    static let placeNew = JournalStep.placeNew(path: b("d/g"), stagingName: b("s1"))
    static let createDirectory = JournalStep.createDirectory(path: b("d/new"))

    /// A transaction that has begun and performed `steps` (one per batch).
    static func applied(_ steps: [JournalStep]) -> RestoreTransaction {
        var transaction = RestoreTransaction()
        _ = transaction.begin(header)
        for step in steps {
            guard case .recordIntentsThenPerform(let index, _, _) = transaction.willPerform(step) else {
                Issue.record("willPerform(\(step)) was refused")
                return transaction
            }
            _ = transaction.didPerform(index)
        }
        return transaction
    }

    static func isInvalid(_ action: TransactionAction) -> Bool {
        if case .invalid = action { return true }
        return false
    }

    // MARK: Applying

    @Test func beginWritesAndSyncsTheBeginRecord() {
        var transaction = RestoreTransaction()
        #expect(transaction.state == .idle)
        #expect(transaction.begin(Self.header) == .appendAndSync([.begin(Self.header)]))
        #expect(transaction.state == .begun)
        #expect(transaction.header == Self.header)
    }

    @Test func beginTwiceIsInvalidAndChangesNothing() {
        var transaction = Self.applied([Self.moveAside])
        let before = transaction.state
        #expect(Self.isInvalid(transaction.begin(Self.header)))
        #expect(transaction.state == before)
    }

    @Test func willPerformBeforeBeginIsInvalid() {
        var transaction = RestoreTransaction()
        #expect(Self.isInvalid(transaction.willPerform(Self.placeNew)))
        #expect(transaction.state == .idle)
    }

    @Test func willPerformRecordsTheIntentBeforeTheStep() {
        var transaction = RestoreTransaction()
        _ = transaction.begin(Self.header)
        #expect(transaction.willPerform(Self.placeNew)
            == .recordIntentsThenPerform(firstIndex: 0, steps: [Self.placeNew], records: [.intent(index: 0, step: Self.placeNew)]))
        #expect(transaction.state == .applying(nextStepIndex: 1, inFlight: 0..<1))
        #expect(transaction.steps == [Self.placeNew])
    }

    @Test func aBatchGetsConsecutiveIndicesAndOneSync() {
        var transaction = Self.applied([Self.createDirectory])
        let batch = [Self.moveAside, Self.replace, Self.placeNew]
        #expect(transaction.willPerform(batch) == .recordIntentsThenPerform(
            firstIndex: 1, steps: batch,
            records: [.intent(index: 1, step: Self.moveAside), .intent(index: 2, step: Self.replace), .intent(index: 3, step: Self.placeNew)]))
        #expect(transaction.state == .applying(nextStepIndex: 4, inFlight: 1..<4))
        #expect(transaction.didPerform(1) == .append([.done(index: 1)]))
        #expect(transaction.state == .applying(nextStepIndex: 4, inFlight: 2..<4))
    }

    @Test func didPerformAppendsDoneWithoutSync() {
        var transaction = RestoreTransaction()
        _ = transaction.begin(Self.header)
        _ = transaction.willPerform(Self.placeNew)
        #expect(transaction.didPerform(0) == .append([.done(index: 0)]))
        #expect(transaction.state == .applying(nextStepIndex: 1, inFlight: 1..<1))
    }

    @Test(arguments: [-1, 1, 2])
    func didPerformOutOfOrderIsInvalid(_ index: Int) {
        var transaction = RestoreTransaction()
        _ = transaction.begin(Self.header)
        _ = transaction.willPerform([Self.placeNew, Self.createDirectory])
        #expect(Self.isInvalid(transaction.didPerform(index)))
        #expect(transaction.state == .applying(nextStepIndex: 2, inFlight: 0..<2))
    }

    @Test func didPerformTwiceIsInvalid() {
        var transaction = Self.applied([Self.placeNew])
        #expect(Self.isInvalid(transaction.didPerform(0)))
    }

    @Test func willPerformWhileStepsAreInFlightIsInvalid() {
        var transaction = RestoreTransaction()
        _ = transaction.begin(Self.header)
        _ = transaction.willPerform(Self.placeNew)
        #expect(Self.isInvalid(transaction.willPerform(Self.createDirectory)))
        #expect(transaction.steps == [Self.placeNew])
    }

    @Test func anEmptyBatchIsInvalid() {
        var transaction = Self.applied([])
        #expect(Self.isInvalid(transaction.willPerform([])))
    }

    @Test(arguments: [
        JournalStep.replace(path: b("e/f"), stagingName: b("s9")),              // nothing parked at e/f
        .replace(path: b("d"), stagingName: b("s9")),                           // parked d/f is below, not d
        .placeNew(path: b("../etc/passwd"), stagingName: b("s9")),
        .placeNew(path: b("/etc/passwd"), stagingName: b("s9")),
        .placeNew(path: b("a//b"), stagingName: b("s9")),
        .placeNew(path: b("a/./b"), stagingName: b("s9")),
        .placeNew(path: b("x"), stagingName: b("sub/s9")),
        .placeNew(path: b("x"), stagingName: b("..")),
        .createDirectory(path: []),
        .moveAside(path: [], asideName: b("9")),
        .moveAside(path: b("x"), asideName: []),
        .keepBackup(path: b("x"), backupPath: b("x")),
        .keepBackup(path: b("x"), backupPath: b("../x.bak")),
        .setAttributes(path: b("x"), previous: FileAttributes(mode: 0o100644, uid: 0, gid: 0, mtimeSeconds: 0, mtimeNanoseconds: 0)),
        .setAttributes(path: b("x"), previous: FileAttributes(mode: 0o644, uid: 0, gid: 0, mtimeSeconds: 0, mtimeNanoseconds: 1_000_000_000)),
        .placeNew(path: [0x61, 0x00], stagingName: b("s9")),
    ])
    func aMalformedOrUnsafeStepIsRefused(_ step: JournalStep) {
        var transaction = Self.applied([Self.createDirectory, Self.moveAside])
        let before = transaction.state
        #expect(Self.isInvalid(transaction.willPerform(step)))
        #expect(transaction.state == before)
        #expect(transaction.steps.count == 2)
    }

    @Test func aReplaceAfterItsMoveAsideInTheSameBatchIsAccepted() {
        var transaction = Self.applied([])
        guard case .recordIntentsThenPerform = transaction.willPerform([Self.moveAside, Self.replace]) else {
            Issue.record("refused")
            return
        }
    }

    @Test func aSecondReplaceOfTheSameHoleIsRefused() {
        var transaction = Self.applied([Self.moveAside, Self.replace])
        #expect(Self.isInvalid(transaction.willPerform(.replace(path: Self.b("d/f"), stagingName: Self.b("s9")))))
        var batch = Self.applied([])
        #expect(Self.isInvalid(batch.willPerform([Self.moveAside, Self.replace, .replace(path: Self.b("d/f"), stagingName: Self.b("s9"))])))
    }

    @Test func aReplaceAfterKeepBackupIsAccepted() {
        var transaction = Self.applied([.keepBackup(path: Self.b("v"), backupPath: Self.b("v.bak"))])
        guard case .recordIntentsThenPerform = transaction.willPerform(.replace(path: Self.b("v"), stagingName: Self.b("s"))) else {
            Issue.record("refused")
            return
        }
    }

    @Test(arguments: [
        [JournalStep.moveAside(path: b("a"), asideName: b("0")), .moveAside(path: b("b"), asideName: b("0"))],
        [.placeNew(path: b("a"), stagingName: b("s")), .placeNew(path: b("b"), stagingName: b("s"))],
        [.moveAside(path: b("a"), asideName: b("0")), .replace(path: b("a"), stagingName: b("s")),
         .placeNew(path: b("b"), stagingName: b("s"))],
        [.keepBackup(path: b("a"), backupPath: b("x.bak")), .keepBackup(path: b("b"), backupPath: b("x.bak"))],
    ])
    func aReusedNameIsRefusedEvenAcrossBatches(_ steps: [JournalStep]) {
        var transaction = Self.applied(Array(steps.dropLast()))
        #expect(Self.isInvalid(transaction.willPerform(steps.last!)))
        var fresh = Self.applied([])
        #expect(Self.isInvalid(fresh.willPerform(steps)))
        #expect(fresh.steps.isEmpty, "a refused batch records nothing")
    }

    // MARK: Committing

    @Test func commitSyncsTheChangedDirectoriesThenWritesCommitted() {
        var transaction = Self.applied([
            .setAttributes(path: [], previous: FileAttributes(mode: 0o755, uid: 1, gid: 1, mtimeSeconds: 1, mtimeNanoseconds: 0)),
            Self.createDirectory, Self.moveAside, Self.replace, Self.placeNew,
            .keepBackup(path: Self.b("top"), backupPath: Self.b("top.bak")),
        ])
        #expect(transaction.commit() == .syncDirectoriesForCommit(
            appendAndSyncFirst: [.commitStarted], directories: [[], Self.b("d"), Self.b("d/new")]))
        #expect(transaction.state == .committing)
        #expect(transaction.didSyncDirectories() == .appendAndSync([.committed]))
        #expect(transaction.state == .committing)
        #expect(transaction.didRecordCommit() == .finish(appendAndSync: [], outcome: .committed))
        #expect(transaction.state == .committed)
    }

    @Test func aTransactionWithoutStepsCanCommit() {
        var transaction = Self.applied([])
        #expect(transaction.commit() == .syncDirectoriesForCommit(appendAndSyncFirst: [.commitStarted], directories: []))
    }

    @Test func commitWithStepsInFlightIsInvalid() {
        var transaction = RestoreTransaction()
        _ = transaction.begin(Self.header)
        _ = transaction.willPerform(Self.placeNew)
        #expect(Self.isInvalid(transaction.commit()))
        #expect(transaction.state == .applying(nextStepIndex: 1, inFlight: 0..<1))
    }

    @Test func commitBeforeBeginIsInvalid() {
        var transaction = RestoreTransaction()
        #expect(Self.isInvalid(transaction.commit()))
    }

    @Test func commitEventsOutOfOrderAreInvalid() {
        var transaction = Self.applied([Self.placeNew])
        #expect(Self.isInvalid(transaction.didSyncDirectories()))
        #expect(Self.isInvalid(transaction.didRecordCommit()))
        _ = transaction.commit()
        #expect(Self.isInvalid(transaction.didRecordCommit()), "the committed record was not requested yet")
        #expect(Self.isInvalid(transaction.commit()))
        _ = transaction.didSyncDirectories()
        #expect(Self.isInvalid(transaction.didSyncDirectories()))
    }

    @Test func nothingIsAcceptedAfterCommit() {
        var transaction = Self.applied([Self.placeNew])
        _ = transaction.commit()
        _ = transaction.didSyncDirectories()
        _ = transaction.didRecordCommit()
        #expect(Self.isInvalid(transaction.willPerform(Self.createDirectory)))
        #expect(Self.isInvalid(transaction.didPerform(0)))
        #expect(Self.isInvalid(transaction.commit()))
        #expect(Self.isInvalid(transaction.fail(reason: "late")))
        #expect(Self.isInvalid(transaction.didUndo(0)))
        #expect(Self.isInvalid(transaction.recover(from: DecodedJournal(records: [], validByteCount: 0, tornTail: nil))))
        #expect(transaction.state == .committed)
    }

    // MARK: Rolling back

    @Test func failBeforeBeginIsInvalid() {
        var transaction = RestoreTransaction()
        #expect(Self.isInvalid(transaction.fail(reason: "x")))
    }

    @Test func failRightAfterBeginEndsRolledBackAtOnce() {
        var transaction = Self.applied([])
        #expect(transaction.fail(reason: "ENOSPC")
            == .finish(appendAndSync: [.rollbackStarted(reason: "ENOSPC"), .rolledBack], outcome: .rolledBack))
        #expect(transaction.state == .rolledBack)
    }

    @Test func failUndoesEveryRecordedStepNewestFirstIncludingTheOneInFlight() {
        var transaction = Self.applied([Self.createDirectory, Self.moveAside])
        _ = transaction.willPerform(Self.replace)       // in flight: may or may not have happened
        guard case .undo(let first, let records) = transaction.fail(reason: "EIO") else {
            Issue.record("expected an undo")
            return
        }
        #expect(records == [.rollbackStarted(reason: "EIO")])
        #expect(first.index == 2)
        #expect(first.operation == .removeIfPresent(
            path: Self.b("d/f"), condition: UndoCondition(skipIfStillStaged: Self.b("s0"), requireOriginalAt: .aside(Self.b("0")))))
        guard case .rollingBack(let remaining) = transaction.state else {
            Issue.record("expected rollingBack")
            return
        }
        #expect(remaining.map(\.index) == [2, 1, 0])

        guard case .undo(let second, let secondRecords) = transaction.didUndo(2) else {
            Issue.record("expected an undo")
            return
        }
        #expect(secondRecords == [.undone(index: 2)])
        #expect(second.operation == .renameBack(from: .aside(Self.b("0")), to: Self.b("d/f")))
        guard case .undo(let third, _) = transaction.didUndo(1) else {
            Issue.record("expected an undo")
            return
        }
        #expect(third.operation == .removeEmptyDirectory(path: Self.b("d/new"), condition: .always))
        #expect(transaction.didUndo(0) == .finish(appendAndSync: [.undone(index: 0), .rolledBack], outcome: .rolledBack))
        #expect(transaction.state == .rolledBack)
    }

    @Test func failWhileSyncingDirectoriesRollsBack() {
        var transaction = Self.applied([Self.placeNew])
        _ = transaction.commit()
        // fsync of a directory failed: no committed record was written yet.
        guard case .undo(let planned, let records) = transaction.fail(reason: "fsync: EIO") else {
            Issue.record("expected an undo")
            return
        }
        #expect(planned.index == 0)
        #expect(records == [.rollbackStarted(reason: "fsync: EIO")])
    }

    @Test func failWritingTheCommitRecordLeavesTheCompleteRestoreAndUndoesNothing() {
        var transaction = Self.applied([Self.placeNew])
        _ = transaction.commit()
        _ = transaction.didSyncDirectories()
        #expect(transaction.fail(reason: "fsync: EIO") == .finish(appendAndSync: [], outcome: .commitUncertain(reason: "fsync: EIO")))
        #expect(transaction.state == .commitUncertain(reason: "fsync: EIO"))
        #expect(Self.isInvalid(transaction.fail(reason: "again")))
        #expect(Self.isInvalid(transaction.didRecordCommit()))
    }

    @Test func undoEventsForTheWrongStepAreInvalid() {
        var transaction = Self.applied([Self.createDirectory, Self.placeNew])
        _ = transaction.fail(reason: "x")
        #expect(Self.isInvalid(transaction.didUndo(0)))
        #expect(Self.isInvalid(transaction.undoFailed(0, reason: "y")))
        #expect(transaction.state == .rollingBack(remaining: Array(transaction.stateRemaining)))
        #expect(transaction.stateRemaining.map(\.index) == [1, 0])
    }

    @Test func applyingEventsDuringRollbackAreInvalid() {
        var transaction = Self.applied([Self.placeNew])
        _ = transaction.fail(reason: "x")
        #expect(Self.isInvalid(transaction.willPerform(Self.createDirectory)))
        #expect(Self.isInvalid(transaction.didPerform(0)))
        #expect(Self.isInvalid(transaction.commit()))
        #expect(Self.isInvalid(transaction.fail(reason: "again")))
        #expect(transaction.stateRemaining.map(\.index) == [0])
    }

    @Test func aFailedUndoIsRecordedAndTheRestContinues() {
        var transaction = Self.applied([Self.createDirectory, Self.moveAside, Self.replace])
        _ = transaction.fail(reason: "EIO")
        guard case .undo(let next, let records) = transaction.undoFailed(2, reason: "unlink: EACCES") else {
            Issue.record("the rollback must go on")
            return
        }
        #expect(records.isEmpty, "a failed undo gets no undone record")
        #expect(next.index == 1)
        _ = transaction.didUndo(1)
        guard case .finish(let final, .rollbackFailed(let failures)) = transaction.didUndo(0) else {
            Issue.record("expected rollbackFailed")
            return
        }
        #expect(failures == [UndoFailure(index: 2, step: Self.replace, operation: UndoPlannerExpectations.undoOfReplace, reason: "unlink: EACCES")])
        #expect(final.count == 2)
        #expect(final[0] == .undone(index: 0))
        guard case .rollbackFailed(let reason) = final[1] else {
            Issue.record("expected a rollbackFailed record")
            return
        }
        #expect(reason.contains("1 undo operation failed") && reason.contains("EACCES") && reason.contains("d/f"))
        guard case .rollbackFailed(_, let stateFailures) = transaction.state else {
            Issue.record("expected state rollbackFailed")
            return
        }
        #expect(stateFailures == failures)
        #expect(Self.isInvalid(transaction.fail(reason: "again")))
        #expect(Self.isInvalid(transaction.didUndo(0)))
    }

    @Test func manyFailuresAreSummarizedOnOneLine() {
        let steps = (0..<8).map { JournalStep.placeNew(path: Self.b("f\($0)"), stagingName: Self.b("s\($0)")) }
        var transaction = Self.applied(steps)
        var action = transaction.fail(reason: "x")
        while case .undo(let planned, _) = action {
            action = transaction.undoFailed(planned.index, reason: "EIO")
        }
        guard case .finish(let records, .rollbackFailed(let failures)) = action, case .rollbackFailed(let reason) = records.last else {
            Issue.record("expected rollbackFailed")
            return
        }
        #expect(failures.count == 8)
        #expect(reason.hasPrefix("8 undo operations failed"))
        #expect(reason.hasSuffix("and 3 more"))
        #expect(!reason.contains("\n"))
    }

    // MARK: Recovery

    static func journal(_ records: [JournalRecord], torn: Bool = false) -> DecodedJournal {
        let bytes = JournalCodec.encode(records)
        return DecodedJournal(
            records: records, validByteCount: bytes.count,
            tornTail: torn ? DecodedJournal.TornTail(lineNumber: records.count + 1, byteOffset: bytes.count, byteCount: 7) : nil)
    }

    @Test func recoveringAnEmptyJournalFindsNothingToDo() {
        var transaction = RestoreTransaction()
        #expect(transaction.recover(from: Self.journal([])) == .finish(appendAndSync: [], outcome: .nothingToRecover))
        #expect(transaction.state == .idle)
    }

    @Test func recoveringACommittedJournalOnlyCleansUp() {
        var transaction = RestoreTransaction()
        let records: [JournalRecord] = [.begin(Self.header), .intent(index: 0, step: Self.placeNew), .done(index: 0), .commitStarted, .committed]
        #expect(transaction.recover(from: Self.journal(records)) == .finish(appendAndSync: [], outcome: .committed))
        #expect(transaction.state == .committed)
        #expect(transaction.header == Self.header)
    }

    @Test func recoveringARolledBackJournalOnlyCleansUp() {
        var transaction = RestoreTransaction()
        let records: [JournalRecord] = [.begin(Self.header), .rollbackStarted(reason: "x"), .rolledBack]
        #expect(transaction.recover(from: Self.journal(records)) == .finish(appendAndSync: [], outcome: .rolledBack))
        #expect(transaction.state == .rolledBack)
    }

    @Test func recoveringAnInterruptedRestoreRollsItBack() {
        var transaction = RestoreTransaction()
        let records: [JournalRecord] = [
            .begin(Self.header), .intent(index: 0, step: Self.moveAside), .done(index: 0), .intent(index: 1, step: Self.replace),
        ]
        guard case .undo(let first, let appended) = transaction.recover(from: Self.journal(records)) else {
            Issue.record("expected an undo")
            return
        }
        #expect(first.index == 1)
        #expect(appended == [.rollbackStarted(reason: "recovering a restore interrupted while applying")])
        #expect(transaction.steps == [Self.moveAside, Self.replace])
        #expect(transaction.header == Self.header)
        _ = transaction.didUndo(1)
        #expect(transaction.didUndo(0) == .finish(appendAndSync: [.undone(index: 0), .rolledBack], outcome: .rolledBack))
    }

    @Test func recoveringATornJournalTruncatesItFirst() {
        var transaction = RestoreTransaction()
        let records: [JournalRecord] = [.begin(Self.header), .intent(index: 0, step: Self.placeNew)]
        let journal = Self.journal(records, torn: true)
        #expect(transaction.recover(from: journal) == .truncateJournal(toByteCount: journal.validByteCount))
        #expect(transaction.stateRemaining.map(\.index) == [0])
        #expect(Self.isInvalid(transaction.didUndo(0)), "nothing is undone before the truncation")
        guard case .undo(let planned, let appended) = transaction.didTruncateJournal() else {
            Issue.record("expected an undo")
            return
        }
        #expect(planned.index == 0)
        #expect(appended.count == 1)
        #expect(Self.isInvalid(transaction.didTruncateJournal()))
    }

    @Test func recoveringAJournalWithOnlyBeginEndsRolledBack() {
        var transaction = RestoreTransaction()
        #expect(transaction.recover(from: Self.journal([.begin(Self.header)]))
            == .finish(appendAndSync: [.rollbackStarted(reason: "recovering a restore interrupted while applying"), .rolledBack], outcome: .rolledBack))
    }

    @Test func recoveringAnInconsistentJournalTouchesNothing() {
        var transaction = RestoreTransaction()
        let action = transaction.recover(from: Self.journal([.intent(index: 0, step: Self.placeNew)]))
        guard case .finish(let records, .journalUnusable(let reason)) = action else {
            Issue.record("expected journalUnusable, got \(action)")
            return
        }
        #expect(records.isEmpty)
        #expect(reason.contains("first record is not `begin`"))
        guard case .rollbackFailed = transaction.state else {
            Issue.record("expected rollbackFailed")
            return
        }
    }

    @Test func didTruncateJournalWithoutRecoveryIsInvalid() {
        var transaction = Self.applied([Self.placeNew])
        #expect(Self.isInvalid(transaction.didTruncateJournal()))
    }

    @Test func recoverIsOnlyForAFreshTransaction() {
        var transaction = Self.applied([Self.placeNew])
        #expect(Self.isInvalid(transaction.recover(from: Self.journal([.begin(Self.header)]))))
    }

    /// The live rollback after a failure and the rollback recovery plans from the journal the
    /// same transaction wrote must be the same operations.
    @Test func liveRollbackAndRecoveryPlanAgree() {
        let scenario = JournalScenario.realistic
        var transaction = RestoreTransaction()
        var records: [JournalRecord] = []
        func take(_ action: TransactionAction) {
            switch action {
            case .appendAndSync(let written), .append(let written): records += written
            case .recordIntentsThenPerform(_, _, let written): records += written
            default: Issue.record("unexpected \(action)")
            }
        }
        take(transaction.begin(scenario.header))
        for (index, step) in scenario.steps.enumerated() {
            take(transaction.willPerform(step))
            if index < scenario.steps.count - 1 { take(transaction.didPerform(index)) }
        }
        guard case .rollBack(let plan) = JournalRecovery.plan(from: records) else {
            Issue.record("expected a rollback plan")
            return
        }
        var live: [PlannedUndo] = []
        var action = transaction.fail(reason: "x")
        while case .undo(let planned, _) = action {
            live.append(planned)
            action = transaction.didUndo(planned.index)
        }
        #expect(live == plan.undo)
        #expect(live.map(\.index) == Array(scenario.steps.indices.reversed()))
    }
}

extension RestoreTransaction {
    /// The remaining undo list when rolling back, else empty.
    var stateRemaining: [PlannedUndo] {
        if case .rollingBack(let remaining) = state { return remaining }
        return []
    }
}

enum UndoPlannerExpectations {
    static let undoOfReplace = UndoOperation.removeIfPresent(
        path: Array("d/f".utf8), condition: UndoCondition(skipIfStillStaged: Array("s0".utf8), requireOriginalAt: .aside(Array("0".utf8))))
}
