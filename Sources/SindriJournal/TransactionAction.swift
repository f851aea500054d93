/// What the applier must do next, returned by every event of ``RestoreTransaction``.
///
/// The applier carries out the action completely, then sends the event the action names. If
/// carrying it out fails (a write, an fsync, a step), it sends
/// ``RestoreTransaction/fail(reason:)`` instead (during a rollback: `undoFailed`). "Append" means
/// `write` the bytes of ``JournalCodec/encode(_:)-([JournalRecord])`` at the end of the journal;
/// "sync" means `fsync` the journal file before going on.
public enum TransactionAction: Sendable, Hashable {
    /// Append the records and fsync the journal. Nothing else; send the next event.
    case appendAndSync([JournalRecord])
    /// Append the records; no fsync is needed now, and the write may even be buffered until the
    /// next action that syncs. Used for `done`: recovery treats an intent without `done` as
    /// possibly performed and every undo checks its own preconditions, so a lost `done` costs
    /// nothing, while an fsync per `done` would double the fsyncs of a restore.
    case append([JournalRecord])
    /// Append the intent records and fsync the journal; only after the fsync returned, perform
    /// the steps in order, sending ``RestoreTransaction/didPerform(_:)`` after each (index
    /// `firstIndex + n`). The intents of a batch may all be written before any of its steps: an
    /// intent for a step that never happened is harmless for the same reason as a lost `done`.
    /// A step that depends on an earlier one (a `replace` after its `moveAside`) needs that
    /// earlier rename to reach the disk first; journaling file systems (ext4, xfs, btrfs) commit
    /// renames in order, elsewhere fsync the directories of a `moveAside`/`keepBackup` before the
    /// dependent step.
    case recordIntentsThenPerform(firstIndex: Int, steps: [JournalStep], records: [JournalRecord])
    /// Append `appendFirst` (no fsync needed: `rollbackStarted` and `undone` records only save
    /// work for a later recovery), then check ``UndoOperation/decide(_:)``: on `perform` carry out
    /// the operation, on `alreadyUndone` do nothing, then send
    /// ``RestoreTransaction/didUndo(_:)``; on `cannotUndo` or a failed system call send
    /// ``RestoreTransaction/undoFailed(_:reason:)``. A failure to write the journal during a
    /// rollback is not a reason to stop undoing: go on, the final record is what matters.
    case undo(PlannedUndo, appendFirst: [JournalRecord])
    /// Commit, phase one: append and fsync the records (`commitStarted`), fsync each listed home
    /// directory (the renames of the steps become durable), then send
    /// ``RestoreTransaction/didSyncDirectories()``.
    case syncDirectoriesForCommit(appendAndSyncFirst: [JournalRecord], directories: [[UInt8]])
    /// Recovery: cut the torn tail off the journal (`ftruncate` to this length, then fsync) so the
    /// records appended next do not follow garbage; then send
    /// ``RestoreTransaction/didTruncateJournal()``.
    case truncateJournal(toByteCount: Int)
    /// The transaction is over: append and fsync the records (if any), then act on the outcome.
    case finish(appendAndSync: [JournalRecord], outcome: TransactionOutcome)
    /// The event is not valid in the current state; the state is unchanged. A bug in the caller.
    case invalid(reason: String)
}

/// How a transaction ended, and what that leaves for the applier to do.
public enum TransactionOutcome: Sendable, Hashable {
    /// The restore is final. Remove `<home>/.sindri/txn-<id>/` (staging and the parked
    /// originals, which the snapshot also holds); keep the journal for `sindri rollback`.
    case committed
    /// The home is as it was before `begin`. Remove `<home>/.sindri/txn-<id>/`.
    case rolledBack
    /// Some undo operations failed. Keep `txn-<id>/` (it may hold originals) and the journal;
    /// report the failures and the snapshot; the next `sindri restore`/`rollback` retries.
    case rollbackFailed([UndoFailure])
    /// Recovery found an empty journal: nothing happened, nothing to undo.
    case nothingToRecover
    /// Recovery found a journal it cannot trust: touch nothing, point the user at the snapshot.
    case journalUnusable(reason: String)
    /// Writing or syncing the `committed` record failed: it may or may not be on disk. The home
    /// holds the complete restore. Leave `txn-<id>/` and the journal as they are and report the
    /// error; the next `sindri restore`/`rollback` recovers from what the disk has (`committed`:
    /// keep the restore; otherwise: roll it back).
    case commitUncertain(reason: String)
}

/// An undo operation that could not be carried out.
public struct UndoFailure: Sendable, Hashable, CustomStringConvertible {
    /// The step's index.
    public var index: Int
    /// The step.
    public var step: JournalStep
    /// The operation that failed.
    public var operation: UndoOperation
    /// Why (the errno text, or the ``UndoDecision/cannotUndo(_:)`` explanation).
    public var reason: String

    /// Creates a failure.
    public init(index: Int, step: JournalStep, operation: UndoOperation, reason: String) {
        self.index = index
        self.step = step
        self.operation = operation
        self.reason = reason
    }

    /// `step 7 (replace .bashrc from staging:7): Input/output error`.
    public var description: String { "step \(index) (\(step)): \(reason)" }

    /// One line naming the failures (the first few in full), for the `rollbackFailed` record and
    /// the error the user sees.
    public static func summary(_ failures: [UndoFailure]) -> String {
        let shown = failures.prefix(5).map(\.description).joined(separator: "; ")
        let more = failures.count > 5 ? "; and \(failures.count - 5) more" : ""
        return "\(failures.count) undo operation\(failures.count == 1 ? "" : "s") failed: \(shown)\(more)"
    }
}
