/// What the first record of a journal says about the restore it protects.
public struct JournalHeader: Sendable, Hashable, Codable {
    /// The journal format this code writes; a journal with another version is refused rather than
    /// misread.
    public static let currentFormatVersion = 1

    /// Unique ID of the restore; names `<home>/.sindri/txn-<id>/` and the journal file.
    public var transactionID: String
    /// When the restore began, seconds since the Unix epoch.
    public var createdAt: Int64
    /// The restore mode as typed by the user (`safe`, `merge`, `full`).
    public var mode: String
    /// A printable description of the archive being restored (its path, escaped).
    public var archive: String
    /// File name of the pre-restore snapshot in `<home>/.sindri/restore-snapshots/`
    /// (`snapshot-<id>.tar.gz`); it holds every original the plan replaces, modifies or removes.
    public var snapshotName: String

    /// Creates a header.
    public init(transactionID: String, createdAt: Int64, mode: String, archive: String, snapshotName: String) {
        self.transactionID = transactionID
        self.createdAt = createdAt
        self.mode = mode
        self.archive = archive
        self.snapshotName = snapshotName
    }
}

/// One line of the write-ahead journal.
///
/// A journal reads: `begin`, then for each step `intent` (written and fsynced before the step)
/// and `done` (after it), then either `commitStarted`, `committed`, or `rollbackStarted`,
/// `undone`... and `rolledBack` / `rollbackFailed` (a failed rollback may be retried, appending
/// another `rollbackStarted`).
public enum JournalRecord: Sendable, Hashable {
    /// The transaction starts; nothing in the home has been touched yet.
    case begin(JournalHeader)
    /// Step `index` (0, 1, 2, ... in order) is about to be performed. Durable before the step.
    case intent(index: Int, step: JournalStep)
    /// Step `index` has been performed. Not necessarily durable: recovery treats an intent
    /// without `done` as possibly performed.
    case done(index: Int)
    /// Every step was performed; the applier is making them durable (directory fsyncs).
    case commitStarted
    /// The restore is final. Only after this record is durable may the aside and staging
    /// directories be removed.
    case committed
    /// Undo begins, with why.
    case rollbackStarted(reason: String)
    /// The undo of step `index` has been carried out.
    case undone(index: Int)
    /// Every step was undone: the home is back to its state before `begin`.
    case rolledBack
    /// Rollback ended with undo operations that could not be carried out (the reason lists
    /// them). The aside directory still holds originals; recovery retries.
    case rollbackFailed(reason: String)
    /// `sindri rollback` of a committed restore begins (durable before anything is touched). Its
    /// first phase clears every path the restore placed: what is still exactly as placed is
    /// removed, anything changed since is moved aside and kept. Repeating it is safe.
    case revertStarted(reason: String)
    /// The first phase is complete and on disk (after a `syncfs`): the originals are being put
    /// back (renamed from `.bak` names, extracted from the snapshot, attributes restored). From
    /// here on the first phase is never run again, since the originals it would now find at their
    /// paths are not the restore's.
    case revertCleared
    /// The committed restore is undone, and that is on disk.
    case reverted
}
