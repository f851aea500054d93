import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriJournal
import SindriSystem
#endif

/// Carries out the actions of a `RestoreTransaction` on the journal file and the home.
///
/// The decisions (which records, when to fsync, which step to undo next, what a crash leaves to
/// do) are the state machine's, unit-tested without a file system; this type only writes the
/// journal, syncs, and performs undo operations. The applier announces and reports its steps
/// through it; a failed restore and an interrupted one found later are rolled back through it.
final class TransactionRunner {
    let home: Int32
    let journal: JournalFile
    let staging: StagingArea?
    private(set) var transaction = RestoreTransaction()
    /// Whether a rollback was started by this runner (rather than finding nothing to do).
    private(set) var rolledBackNow = false
    /// Undo records appended since the last write of the journal.
    private var undoneSinceFlush = 0
    /// Directories the restore created that the rollback left in place, because files were
    /// created in them during the restore (the user's, never deleted).
    private(set) var leftInPlace: [String] = []
    /// The first failure to write the journal during a rollback: the undo goes on (every undo
    /// checks what is on disk), but the outcome cannot be recorded as complete.
    private var journalFailure: String?
    /// Test seam: this many undo operations fail, as an I/O error would (set from
    /// SINDRI_TEST_FAIL_UNDOS for the restore's own rollback, never for a later recovery).
    var failingUndos = 0

    init(home: Int32, journal: JournalFile, staging: StagingArea?) {
        self.home = home
        self.journal = journal
        self.staging = staging
    }

    // MARK: - Applying

    /// Writes and fsyncs the `begin` record: nothing in the home is touched before it is durable.
    func begin(_ header: JournalHeader) throws {
        guard case .appendAndSync(let records) = transaction.begin(header) else { throw unexpected("begin") }
        try appendAndSync(records)
    }

    /// Announces a batch of steps: their intents are written and fsynced once. Returns the index
    /// of the first; report each with `performed` after taking it.
    func announce(_ steps: [JournalStep]) throws -> Int {
        let action = transaction.willPerform(steps)
        guard case .recordIntentsThenPerform(let firstIndex, _, let records) = action else { throw unexpected("willPerform", action) }
        try appendAndSync(records)
        return firstIndex
    }

    /// Step `index` was taken: its `done` record is buffered (written with the next flush).
    func performed(_ index: Int) throws {
        let action = transaction.didPerform(index)
        guard case .append(let records) = action else { throw unexpected("didPerform", action) }
        for record in records { journal.append(record) }
    }

    /// Writes buffered records without an fsync (the end of a batch).
    func flush() throws { try journal.flush(durable: false) }

    /// Commits: `commitStarted` durable, one `syncfs` for every staged file, rename and directory
    /// of the home's file system, then `committed` durable. Throws if any of it fails; the caller
    /// then calls `rollBack`, which knows whether the commit record may already be on disk.
    func commit() throws {
        var action = transaction.commit()
        while true {
            switch action {
            case .syncDirectoriesForCommit(let records, _):
                // One syncfs covers the listed directories, and the staged files' data with them.
                try appendAndSync(records)
                if sindri_syncfs(home) != 0 { throw Syscalls.Failure(operation: "syncfs", errno: sindri_errno()).error(path: "home") }
                action = transaction.didSyncDirectories()
            case .appendAndSync(let records):
                try appendAndSync(records)
                action = transaction.didRecordCommit()
            case .finish(let records, .committed):
                if !records.isEmpty { try appendAndSync(records) }
                return
            default:
                throw unexpected("commit", action)
            }
        }
    }

    // MARK: - Rolling back

    /// After a failure while applying or committing: undoes every recorded step, newest first,
    /// and records the outcome. Returns `.rolledBack`, `.rollbackFailed`, or `.commitUncertain`
    /// when the failure was in writing the commit record itself (then nothing is undone).
    /// Throws for a bug (an event the machine refuses), and when the end of the rollback cannot
    /// be made durable (`rollbackFailed`: syncfs or the journal write failed).
    func rollBack(reason: String) throws -> TransactionOutcome {
        try run(transaction.fail(reason: reason))
    }

    /// Takes over an unfinished journal found on disk and rolls its transaction back (cutting a
    /// torn tail off first). Returns the outcome; `rolledBackNow` tells whether it rolled back.
    /// Throws if the torn tail cannot be cut off (nothing was undone then), or when the end of
    /// the rollback cannot be made durable.
    func recover(_ decoded: DecodedJournal) throws -> TransactionOutcome {
        try run(transaction.recover(from: decoded))
    }

    /// Follows the machine's actions to the end of the transaction.
    private func run(_ first: TransactionAction) throws -> TransactionOutcome {
        var action = first
        while true {
            switch action {
            case .undo(let planned, let records):
                // Not synced, and written per batch rather than per undo: `rollbackStarted` and
                // `undone` only save a later recovery work (every undo checks what is on disk).
                for record in records { journal.append(record) }
                undoneSinceFlush += records.count
                if undoneSinceFlush >= RestoreApplier.batchSize {
                    do { try journal.flush(durable: false) } catch {
                        journalFailure = journalFailure ?? ((error as? SindriError)?.message ?? "\(error)")
                    }
                    undoneSinceFlush = 0
                }
                rolledBackNow = true
                do {
                    if failingUndos > 0 {
                        failingUndos -= 1
                        throw SindriError(.io, "injected undo failure (SINDRI_TEST_FAIL_UNDOS)")
                    }
                    if let left = try RestoreRecovery.perform(planned.operation, home: home, staging: staging) {
                        leftInPlace.append(left)
                    }
                    action = transaction.didUndo(planned.index)
                } catch {
                    action = transaction.undoFailed(planned.index, reason: (error as? SindriError)?.message ?? "\(error)")
                }
            case .truncateJournal(let length):
                try journal.truncate(to: length)
                action = transaction.didTruncateJournal()
            case .finish(let records, let outcome):
                // The undo renames reach the disk before the record that says they happened; a
                // record that cannot follow them there is not written, and the outcome says so
                // (the next run's recovery repeats the undo, which checks what is on disk).
                if !records.isEmpty {
                    rolledBackNow = true
                    if sindri_syncfs(home) != 0 {
                        return try notDurable(outcome, "syncfs of the home failed: \(String(cString: strerror(sindri_errno())))")
                    }
                    if let journalFailure { return try notDurable(outcome, "writing the journal failed: \(journalFailure)") }
                    do { try appendAndSync(records) } catch {
                        return try notDurable(outcome, "writing the journal failed: \((error as? SindriError)?.message ?? "\(error)")")
                    }
                }
                return outcome
            case .invalid, .appendAndSync, .append, .recordIntentsThenPerform, .syncDirectoriesForCommit:
                throw unexpected("a rollback step", action)
            }
        }
    }

    /// A rollback whose end could not be made durable is an error, not an outcome: the home may
    /// look rolled back, but a crash now could undo part of that, so the record saying it is
    /// done is not written and the next run repeats the undo (which checks what is on disk).
    private func notDurable(_ outcome: TransactionOutcome, _ reason: String) throws -> TransactionOutcome {
        var earlier = ""
        if case .rollbackFailed(let failures) = outcome { earlier = "; also: " + UndoFailure.summary(failures) }
        throw SindriError(.rollbackFailed, "the rollback could not be made durable (\(reason)); the home may be partially rolled back: run sindri rollback\(earlier)")
    }

    private func appendAndSync(_ records: [JournalRecord]) throws {
        for record in records { journal.append(record) }
        try journal.flush(durable: true)
    }

    private func unexpected(_ event: String, _ action: TransactionAction? = nil) -> SindriError {
        if case .invalid(let reason)? = action { return SindriError(.internal, "restore transaction: \(reason)") }
        return SindriError(.internal, "restore transaction: unexpected action after \(event): \(action.map { "\($0)" } ?? "none")")
    }
}
