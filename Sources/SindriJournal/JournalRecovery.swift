/// Decides, from the records found on disk, what the next `sindri restore` or `sindri rollback`
/// must do before anything else. Pure: the applier reads the journal and carries out the plan.
public enum JournalRecovery {
    /// The status of the transaction a journal describes, or why the journal breaks the protocol.
    /// `sindri rollback` uses it to pick its target: an unfinished journal first, else the most
    /// recent committed one.
    public static func status(of records: [JournalRecord]) -> Result<JournalStatus, JournalProtocolViolation> {
        JournalHistory.read(records).map(\.status)
    }

    /// What to do about a journal found after a crash (or a failed rollback).
    ///
    /// - Empty, committed, or rolled back: ``RecoveryPlan/nothingToDo(_:)``.
    /// - Otherwise (interrupted while applying, committing or rolling back, or a rollback that
    ///   failed): ``RecoveryPlan/rollBack(_:)`` listing the undo of every step that has an intent
    ///   record, done or not (a step may have happened without its `done` reaching the disk), newest
    ///   first, without the ones already `undone` (attribute restores excepted: they are always
    ///   repeated, because undoing other entries moves a directory's mtime). The undo operations check their own
    ///   preconditions, so a step that never happened, or whose undo happened but was not recorded,
    ///   costs nothing.
    /// - Records that a correct applier cannot write: ``RecoveryPlan/inconsistent(_:)``; nothing
    ///   should be touched automatically.
    public static func plan(from records: [JournalRecord]) -> RecoveryPlan {
        let history: JournalHistory
        switch JournalHistory.read(records) {
        case .success(let read): history = read
        case .failure(let violation): return .inconsistent(violation)
        }
        guard let header = history.header else { return .nothingToDo(.empty) }
        if history.status.isFinal { return .nothingToDo(history.status) }
        // A rollback of a committed restore is finished by `sindri rollback`, never by the undo
        // of an uncommitted one (whose aside and staging directories are long gone).
        if case .reverting = history.status { return .nothingToDo(history.status) }
        return .rollBack(RollbackPlan(
            header: header, interruptedStatus: history.status, steps: history.steps,
            undo: UndoPlanner.rollbackPlan(for: history.steps, skipping: history.undone)))
    }

    /// The undo of the most recent *committed* restore, for `sindri rollback`.
    ///
    /// Contract. After commit the aside and staging directories are gone; the originals live only
    /// in the pre-restore snapshot (and, in merge mode, also in the `.bak` files). The operations
    /// are listed newest step first and must be run in that order, all of them:
    /// - `placeNew`, `replace`: ``UndoOperation/removeIfPresent(path:condition:)`` of what the
    ///   restore put there (the user's edits to it since are lost; that is what rollback means);
    /// - `createDirectory`: ``UndoOperation/removeEmptyDirectory(path:condition:)``; a directory the
    ///   user has since put files into is not emptied: `ENOTEMPTY` is reported as a failure;
    /// - `moveAside`: ``UndoOperation/extractFromSnapshot(path:)`` (the original and its subtree);
    /// - `keepBackup`: extract the original from the snapshot, then remove the `.bak` file the
    ///   restore made (using the snapshot rather than renaming the `.bak` back keeps the list
    ///   idempotent: re-running it from the start after a crash gives the same home);
    /// - `setAttributes`: ``UndoOperation/restoreAttributes(path:attributes:condition:)``, which
    ///   comes after the extractions inside that directory, so its mtime ends right.
    /// ``CompletedRestoreUndo/snapshotPaths`` lists the paths to extract (in operation order) so
    /// the applier can verify up front that the snapshot holds them all.
    ///
    /// - Throws: ``CompletedUndoError`` if the journal does not describe a committed restore.
    public static func undoCompleted(records: [JournalRecord]) throws(CompletedUndoError) -> CompletedRestoreUndo {
        let history: JournalHistory
        switch JournalHistory.read(records) {
        case .success(let read): history = read
        case .failure(let violation): throw .inconsistent(violation)
        }
        guard let header = history.header, history.status == .committed else {
            throw .notCommitted(history.status)
        }
        let operations = UndoPlanner.completedOperations(for: history.steps)
        let paths = operations.compactMap { operation -> [UInt8]? in
            if case .extractFromSnapshot(let path) = operation { return path }
            return nil
        }
        return CompletedRestoreUndo(header: header, operations: operations, snapshotPaths: paths)
    }
}

/// The outcome of ``JournalRecovery/plan(from:)``.
public enum RecoveryPlan: Sendable, Hashable {
    /// The journal is empty, committed or rolled back: nothing to undo. The applier may remove a
    /// leftover `txn-<id>` directory (its content is no longer needed).
    case nothingToDo(JournalStatus)
    /// An unfinished transaction: undo it before doing anything else.
    case rollBack(RollbackPlan)
    /// The records break the protocol; touch nothing, point the user at the snapshot.
    case inconsistent(JournalProtocolViolation)
}

/// The rollback of an unfinished transaction.
public struct RollbackPlan: Sendable, Hashable {
    /// The transaction's header (its ID names the `txn-<id>` directory holding aside and staging).
    public var header: JournalHeader
    /// What the transaction was doing when it stopped.
    public var interruptedStatus: JournalStatus
    /// Every step with an intent record, index-aligned.
    public var steps: [JournalStep]
    /// The undo operations to carry out, in order (newest step first).
    public var undo: [PlannedUndo]
}

/// The undo of a committed restore; see ``JournalRecovery/undoCompleted(records:)``.
public struct CompletedRestoreUndo: Sendable, Hashable {
    /// The restore being undone; its `snapshotName` is the tar to extract from.
    public var header: JournalHeader
    /// The operations, in the order to run them.
    public var operations: [UndoOperation]
    /// Paths to extract from the snapshot (each with everything below it).
    public var snapshotPaths: [[UInt8]]
}

/// Why a journal cannot be used to undo a completed restore.
public enum CompletedUndoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The journal's transaction did not commit (it is unfinished, failed or rolled back): an
    /// unfinished one is undone with ``JournalRecovery/plan(from:)`` instead.
    case notCommitted(JournalStatus)
    /// The journal breaks the protocol.
    case inconsistent(JournalProtocolViolation)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .notCommitted(let status): "the journal's restore is not committed (status: \(status))"
        case .inconsistent(let violation): "the journal is inconsistent: \(violation)"
        }
    }
}
