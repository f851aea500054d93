/// The restore transaction as a state machine: which journal records to write, when to fsync,
/// which step to perform or undo next. No I/O happens here; the applier actor owns a
/// `RestoreTransaction`, sends it events and carries out the ``TransactionAction`` each returns,
/// so every transition, including crash recovery, is tested without a file system.
///
/// ```
/// idle -begin-> begun -willPerform/didPerform-> applying -commit-> committing
///   committing -didSyncDirectories-> (committed record) -didRecordCommit-> committed
///   committing -fail (committed record not durable)-> commitUncertain
///   begun | applying | committing -fail-> rollingBack -didUndo/undoFailed...-> rolledBack | rollbackFailed
/// idle -recover(journal)-> [truncateJournal -didTruncateJournal->] rollingBack ... (or finished at once)
/// ```
///
/// An event that is not valid in the current state returns ``TransactionAction/invalid(reason:)``
/// and changes nothing; it never traps.
public struct RestoreTransaction: Sendable {
    /// The states, as seen from outside.
    public enum State: Sendable, Hashable {
        /// Nothing written yet.
        case idle
        /// `begin` written; no step yet.
        case begun
        /// Applying steps. `nextStepIndex` is the index the next recorded step gets; `inFlight`
        /// the steps whose intents were handed out but not yet reported performed.
        case applying(nextStepIndex: Int, inFlight: Range<Int>)
        /// Commit in progress (directory fsyncs, then the `committed` record).
        case committing
        /// The restore is final.
        case committed
        /// Undoing; `remaining` starts with the operation handed out last.
        case rollingBack(remaining: [PlannedUndo])
        /// Undone completely.
        case rolledBack
        /// Rollback ended with failures (or recovery found a journal it cannot use).
        case rollbackFailed(reason: String, failures: [UndoFailure])
        /// Writing the `committed` record failed, so whether it is on disk is unknown; see
        /// ``TransactionOutcome/commitUncertain(reason:)``.
        case commitUncertain(reason: String)
    }

    private enum Phase: Sendable {
        case idle
        case begun
        case applying(performed: Int)
        case committing(directoriesSynced: Bool)
        case committed
        case awaitingTruncation(undo: [PlannedUndo], reason: String)
        case rollingBack(undo: [PlannedUndo], position: Int, failures: [UndoFailure])
        case rolledBack
        case rollbackFailed(reason: String, failures: [UndoFailure])
        case commitUncertain(reason: String)
    }

    /// The header written by `begin` (or read back by `recover`).
    public private(set) var header: JournalHeader?
    /// Every step with an intent, index-aligned.
    public private(set) var steps: [JournalStep] = []
    private var phase: Phase = .idle
    /// Records to append with the next action (the `undone` of the previous undo).
    private var pendingRecords: [JournalRecord] = []
    /// Names already used, so that no step can overwrite another's staging or parked entry.
    private var usedAsideNames: Set<[UInt8]> = []
    private var usedStagingNames: Set<[UInt8]> = []
    private var usedBackupPaths: Set<[UInt8]> = []
    /// Paths whose original was parked and that no step has filled yet: where a `replace` may go.
    private var openHoles: Set<[UInt8]> = []

    /// A transaction in state `idle`.
    public init() {}

    /// The current state.
    public var state: State {
        switch phase {
        case .idle: .idle
        case .begun: .begun
        case .applying(let performed): .applying(nextStepIndex: steps.count, inFlight: performed..<steps.count)
        case .committing: .committing
        case .committed: .committed
        case .awaitingTruncation(let undo, _): .rollingBack(remaining: undo)
        case .rollingBack(let undo, let position, _): .rollingBack(remaining: Array(undo[position...]))
        case .rolledBack: .rolledBack
        case .rollbackFailed(let reason, let failures): .rollbackFailed(reason: reason, failures: failures)
        case .commitUncertain(let reason): .commitUncertain(reason: reason)
        }
    }

    // MARK: Applying

    /// Starts the transaction: the `begin` record must be durable before anything is touched.
    public mutating func begin(_ header: JournalHeader) -> TransactionAction {
        guard case .idle = phase else { return invalid("begin: the transaction has already started") }
        self.header = header
        phase = .begun
        return .appendAndSync([.begin(header)])
    }

    /// Announces one step; see ``willPerform(_:)-([JournalStep])``.
    public mutating func willPerform(_ step: JournalStep) -> TransactionAction {
        willPerform([step])
    }

    /// Announces a batch of steps: their intents are written and fsynced once, then the
    /// applier performs them in order. Refused while earlier steps are still in flight, for a
    /// malformed step, for a staging or aside name or backup path used twice, and for a `replace`
    /// that does not fill the hole left by parking the original first (the original, or content
    /// the restore placed, would be destroyed by the rename).
    public mutating func willPerform(_ batch: [JournalStep]) -> TransactionAction {
        let performed: Int
        switch phase {
        case .begun: performed = 0
        case .applying(let count): performed = count
        default: return invalid("willPerform: not applying (state \(state))")
        }
        guard performed == steps.count else {
            return invalid("willPerform: steps \(performed)..<\(steps.count) are still in flight")
        }
        guard !batch.isEmpty else { return invalid("willPerform: empty batch") }
        if let problem = admissionProblem(batch) { return invalid("willPerform: \(problem)") }
        let firstIndex = steps.count
        var records: [JournalRecord] = []
        records.reserveCapacity(batch.count)
        for (offset, step) in batch.enumerated() {
            records.append(.intent(index: firstIndex + offset, step: step))
            admit(step)
        }
        phase = .applying(performed: performed)
        return .recordIntentsThenPerform(firstIndex: firstIndex, steps: batch, records: records)
    }

    /// Step `index` was performed (steps are reported in order).
    public mutating func didPerform(_ index: Int) -> TransactionAction {
        guard case .applying(let performed) = phase else { return invalid("didPerform(\(index)): not applying (state \(state))") }
        guard index == performed, index < steps.count else {
            return invalid("didPerform(\(index)): expected step \(performed) of \(steps.count) recorded")
        }
        phase = .applying(performed: performed + 1)
        return .append([.done(index: index)])
    }

    // MARK: Committing

    /// Starts the commit once every recorded step was performed.
    public mutating func commit() -> TransactionAction {
        switch phase {
        case .begun:
            break
        case .applying(let performed):
            guard performed == steps.count else {
                return invalid("commit: steps \(performed)..<\(steps.count) are still in flight")
            }
        default:
            return invalid("commit: not applying (state \(state))")
        }
        phase = .committing(directoriesSynced: false)
        return .syncDirectoriesForCommit(appendAndSyncFirst: [.commitStarted], directories: changedDirectories())
    }

    /// The directories of the commit were fsynced: write the `committed` record.
    public mutating func didSyncDirectories() -> TransactionAction {
        guard case .committing(false) = phase else { return invalid("didSyncDirectories: not committing (state \(state))") }
        phase = .committing(directoriesSynced: true)
        return .appendAndSync([.committed])
    }

    /// The `committed` record is durable: the restore is final.
    public mutating func didRecordCommit() -> TransactionAction {
        guard case .committing(true) = phase else { return invalid("didRecordCommit: the commit record was not requested (state \(state))") }
        phase = .committed
        return .finish(appendAndSync: [], outcome: .committed)
    }

    // MARK: Rolling back

    /// Something went wrong while applying or committing (an I/O error, `ENOSPC`, a checksum
    /// mismatch found late, a signal): undo every recorded step, newest first, including the ones
    /// in flight (they may have happened).
    ///
    /// One exception: if writing or syncing the `committed` record itself failed, that record may
    /// or may not be on disk. Undoing now could leave a half-undone home behind a journal that
    /// says "committed" (the `rollbackStarted` after it is no more durable than it was), so
    /// nothing is undone: the home holds the complete restore, which is right for either reading
    /// of the journal, and the next run's recovery settles it from what the disk actually has.
    public mutating func fail(reason: String) -> TransactionAction {
        switch phase {
        case .committing(directoriesSynced: true):
            phase = .commitUncertain(reason: reason)
            return .finish(appendAndSync: [], outcome: .commitUncertain(reason: reason))
        case .begun, .applying, .committing:
            return startRollback(UndoPlanner.rollbackPlan(for: steps), reason: reason)
        case .idle:
            return invalid("fail: nothing has started")
        case .committed:
            return invalid("fail: already committed; undo a completed restore with JournalRecovery.undoCompleted")
        case .awaitingTruncation, .rollingBack:
            return invalid("fail: already rolling back; report a failed undo with undoFailed")
        case .rolledBack, .rollbackFailed, .commitUncertain:
            return invalid("fail: the transaction is over (state \(state))")
        }
    }

    /// ``fail(reason:)`` with the error's description.
    public mutating func fail(_ error: any Error) -> TransactionAction {
        fail(reason: String(describing: error))
    }

    /// The undo handed out last (of step `index`) was carried out or was not needed.
    public mutating func didUndo(_ index: Int) -> TransactionAction {
        guard case .rollingBack(let undo, let position, let failures) = phase else {
            return invalid("didUndo(\(index)): not rolling back (state \(state))")
        }
        guard undo[position].index == index else {
            return invalid("didUndo(\(index)): the undo in progress is for step \(undo[position].index)")
        }
        pendingRecords.append(.undone(index: index))
        return advanceRollback(undo: undo, position: position + 1, failures: failures)
    }

    /// The undo handed out last (of step `index`) failed. It is remembered, the rollback goes on
    /// with the other steps (each undo checks its own preconditions) and ends in
    /// `rollbackFailed`.
    public mutating func undoFailed(_ index: Int, reason: String) -> TransactionAction {
        guard case .rollingBack(let undo, let position, var failures) = phase else {
            return invalid("undoFailed(\(index)): not rolling back (state \(state))")
        }
        let current = undo[position]
        guard current.index == index else {
            return invalid("undoFailed(\(index)): the undo in progress is for step \(current.index)")
        }
        failures.append(UndoFailure(index: index, step: current.step, operation: current.operation, reason: reason))
        return advanceRollback(undo: undo, position: position + 1, failures: failures)
    }

    // MARK: Recovery

    /// Takes over a journal found on disk (see ``JournalRecovery/plan(from:)``): finishes at once
    /// if there is nothing to do, else rolls the unfinished transaction back, after cutting a torn
    /// tail off the journal. Only valid on a fresh (`idle`) transaction.
    public mutating func recover(from journal: DecodedJournal) -> TransactionAction {
        guard case .idle = phase else { return invalid("recover: only a fresh transaction can take over a journal") }
        switch JournalRecovery.plan(from: journal.records) {
        case .nothingToDo(.committed):
            adopt(journal.records)
            phase = .committed
            return .finish(appendAndSync: [], outcome: .committed)
        case .nothingToDo(.rolledBack):
            adopt(journal.records)
            phase = .rolledBack
            return .finish(appendAndSync: [], outcome: .rolledBack)
        case .nothingToDo:
            return .finish(appendAndSync: [], outcome: .nothingToRecover)
        case .inconsistent(let violation):
            let reason = "the journal cannot be trusted: \(violation)"
            phase = .rollbackFailed(reason: reason, failures: [])
            return .finish(appendAndSync: [], outcome: .journalUnusable(reason: reason))
        case .rollBack(let plan):
            adopt(journal.records)
            let reason = "recovering a restore interrupted while \(Self.describe(plan.interruptedStatus))"
            if journal.tornTail != nil {
                phase = .awaitingTruncation(undo: plan.undo, reason: reason)
                return .truncateJournal(toByteCount: journal.validByteCount)
            }
            return startRollback(plan.undo, reason: reason)
        }
    }

    /// The torn tail was cut off: start undoing.
    public mutating func didTruncateJournal() -> TransactionAction {
        guard case .awaitingTruncation(let undo, let reason) = phase else {
            return invalid("didTruncateJournal: no truncation was requested (state \(state))")
        }
        return startRollback(undo, reason: reason)
    }

    // MARK: Internals

    private mutating func startRollback(_ undo: [PlannedUndo], reason: String) -> TransactionAction {
        pendingRecords = [.rollbackStarted(reason: reason)]
        return advanceRollback(undo: undo, position: 0, failures: [])
    }

    private mutating func advanceRollback(undo: [PlannedUndo], position: Int, failures: [UndoFailure]) -> TransactionAction {
        let records = pendingRecords
        pendingRecords = []
        if position < undo.count {
            phase = .rollingBack(undo: undo, position: position, failures: failures)
            return .undo(undo[position], appendFirst: records)
        }
        if failures.isEmpty {
            phase = .rolledBack
            return .finish(appendAndSync: records + [.rolledBack], outcome: .rolledBack)
        }
        let reason = UndoFailure.summary(failures)
        phase = .rollbackFailed(reason: reason, failures: failures)
        return .finish(appendAndSync: records + [.rollbackFailed(reason: reason)], outcome: .rollbackFailed(failures))
    }

    private func admissionProblem(_ batch: [JournalStep]) -> String? {
        // Names used by earlier batches are looked up in place; only this batch's are collected
        // (copying the sets per batch would cost O(steps) each time: quadratic in a large restore).
        var asides = Set<[UInt8]>(), stagings = Set<[UInt8]>(), backups = Set<[UInt8]>()
        func fresh(_ name: [UInt8], _ used: Set<[UInt8]>, _ batch: inout Set<[UInt8]>) -> Bool {
            !used.contains(name) && batch.insert(name).inserted
        }
        var holes = openHoles
        for step in batch {
            if let problem = step.validationProblem { return problem }
            switch step {
            case .moveAside(_, let name):
                if !fresh(name, usedAsideNames, &asides) { return "aside name \(JournalPath.display(name)) is used twice" }
            case .keepBackup(_, let backupPath):
                if !fresh(backupPath, usedBackupPaths, &backups) { return "backup path \(JournalPath.display(backupPath)) is used twice" }
            case .placeNew(_, let name, _):
                if !fresh(name, usedStagingNames, &stagings) { return "staging name \(JournalPath.display(name)) is used twice" }
            case .replace(let path, let name, _):
                if !fresh(name, usedStagingNames, &stagings) { return "staging name \(JournalPath.display(name)) is used twice" }
                if holes.remove(path) == nil {
                    return "replace \(JournalPath.display(path)) without moving its original aside or to a backup first"
                }
            case .createDirectory, .setAttributes:
                break
            }
            Self.updateHoles(&holes, for: step)
        }
        return nil
    }

    private mutating func admit(_ step: JournalStep) {
        switch step {
        case .moveAside(_, let name): usedAsideNames.insert(name)
        case .keepBackup(_, let backupPath): usedBackupPaths.insert(backupPath)
        case .placeNew(_, let name, _), .replace(_, let name, _): usedStagingNames.insert(name)
        case .createDirectory, .setAttributes: break
        }
        Self.updateHoles(&openHoles, for: step)
        steps.append(step)
    }

    /// Parking an original opens a hole at its path; placing anything there fills it.
    private static func updateHoles(_ holes: inout Set<[UInt8]>, for step: JournalStep) {
        switch step {
        case .moveAside(let path, _), .keepBackup(let path, _): holes.insert(path)
        case .replace(let path, _, _), .placeNew(let path, _, _), .createDirectory(let path): holes.remove(path)
        case .setAttributes: break
        }
    }

    /// Takes the header and steps from a journal being recovered.
    private mutating func adopt(_ records: [JournalRecord]) {
        for record in records {
            switch record {
            case .begin(let header): self.header = header
            case .intent(_, let step): steps.append(step)
            default: break
            }
        }
    }

    private func changedDirectories() -> [[UInt8]] {
        var directories = Set<[UInt8]>()
        for step in steps { directories.formUnion(step.changedDirectories) }
        return directories.sorted { $0.lexicographicallyPrecedes($1) }
    }

    private func invalid(_ reason: String) -> TransactionAction { .invalid(reason: reason) }

    private static func describe(_ status: JournalStatus) -> String {
        switch status {
        case .applying: "applying"
        case .committing: "committing"
        case .rollingBack: "rolling back"
        case .rollbackFailed(let reason): "retrying a failed rollback (\(reason))"
        case .empty, .committed, .rolledBack, .reverting, .reverted: "finished"
        }
    }
}
