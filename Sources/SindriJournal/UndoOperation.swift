/// What is at a location right now, as the applier finds it with `lstat` (symlinks not followed).
public enum EntryPresence: Sendable, Hashable {
    /// Nothing there (`ENOENT`, or `ENOTDIR` because a parent is not a directory).
    case absent
    /// A directory.
    case directory
    /// A regular file, symlink, or anything else that is not a directory.
    case nonDirectory
}

/// The condition under which an undo acts. Both parts prove, from what is on disk, that the
/// entry at the path is the restore's and not the user's original, which is what makes every undo
/// safe to run again after a crash during rollback.
public struct UndoCondition: Sendable, Hashable {
    /// If set: do nothing while `staging/<name>` still exists. The step renames this entry out of
    /// staging, so its presence proves the step never happened.
    public var skipIfStillStaged: [UInt8]?
    /// If set: do nothing unless an entry exists here. It is where an earlier step of the same
    /// transaction parked the original of this path (or of a parent directory). While the original
    /// is parked, whatever is at the path is the restore's; once it is back (or was never moved),
    /// the path holds the original and must not be touched.
    public var requireOriginalAt: JournalLocation?

    /// Creates a condition.
    public init(skipIfStillStaged: [UInt8]? = nil, requireOriginalAt: JournalLocation? = nil) {
        self.skipIfStillStaged = skipIfStillStaged
        self.requireOriginalAt = requireOriginalAt
    }

    /// No condition: act on whatever is found.
    public static let always = UndoCondition()
}

/// What the applier should do about an ``UndoOperation`` given what is on disk now.
public enum UndoDecision: Sendable, Hashable {
    /// Carry out the operation's system call.
    case perform
    /// Nothing to do: the step never took effect or its undo already happened. Counts as undone.
    case alreadyUndone(String)
    /// The home is not in a state this undo can handle safely; report it with
    /// ``RestoreTransaction/undoFailed(_:reason:)`` and leave the entries as they are.
    case cannotUndo(String)
}

/// One idempotent operation that takes back (part of) a step.
///
/// Every operation first checks its preconditions with ``decide(_:)`` against what is on disk;
/// "already in the wanted state" is success, so running a whole rollback again after a crash in
/// the middle of it ends in the same home as running it once. Paths are home-relative bytes.
public enum UndoOperation: Sendable, Hashable {
    /// Removes a non-directory the restore put at `path` (`unlinkat`). Undo of `placeNew` and
    /// `replace`; in a completed-restore rollback also removes the `.bak` files merge mode made.
    /// Does nothing if `condition` says the entry is not the restore's, if `path` is absent, or
    /// if `path` is a directory (the restore never places a directory this way).
    case removeIfPresent(path: [UInt8], condition: UndoCondition)
    /// Removes a directory the restore created (`unlinkat(AT_REMOVEDIR)`), which must be empty by
    /// now because the undo of everything put inside it runs first. Does nothing if `condition`
    /// fails or `path` is absent or not a directory; `ENOTEMPTY` is an undo failure (the user's
    /// files inside are never deleted).
    case removeEmptyDirectory(path: [UInt8], condition: UndoCondition)
    /// Renames a parked original back to `to` (`renameat2` with `RENAME_NOREPLACE`). Undo of
    /// `moveAside` (from the aside directory) and `keepBackup` (from the `.bak` path). Does nothing
    /// if `from` is absent (never moved, or already back); if something is at `to` it refuses,
    /// since overwriting could destroy a file that is not the restore's.
    case renameBack(from: JournalLocation, to: [UInt8])
    /// Sets mode, owner and mtime back (`fchownat`, `fchmodat`, `utimensat`, without following a
    /// symlink). Does nothing if `condition` fails or `path` is absent (a directory the restore
    /// created and already removed).
    case restoreAttributes(path: [UInt8], attributes: FileAttributes, condition: UndoCondition)
    /// Completed-restore rollback only: extract `path` and everything below it from the
    /// pre-restore snapshot, replacing whatever is at `path`, with modes, owners and mtimes.
    case extractFromSnapshot(path: [UInt8])

    /// Decides, from the presence of the entries the operation looks at, whether to act.
    ///
    /// - Parameter presence: `lstat` of a location, done by the applier; the function is pure.
    public func decide(_ presence: (JournalLocation) -> EntryPresence) -> UndoDecision {
        func conditionBlocks(_ condition: UndoCondition) -> String? {
            if let staged = condition.skipIfStillStaged, presence(.staging(staged)) != .absent {
                return "staging:\(JournalPath.display(staged)) is still staged, so the step never happened"
            }
            if let holder = condition.requireOriginalAt, presence(holder) == .absent {
                return "\(holder) is gone, so the original is back in place (or never left)"
            }
            return nil
        }
        switch self {
        case .removeIfPresent(let path, let condition):
            if let reason = conditionBlocks(condition) { return .alreadyUndone(reason) }
            switch presence(.home(path)) {
            case .absent: return .alreadyUndone("\(JournalPath.display(path)) is already gone")
            case .directory: return .alreadyUndone("\(JournalPath.display(path)) is a directory, not the entry the restore placed")
            case .nonDirectory: return .perform
            }
        case .removeEmptyDirectory(let path, let condition):
            if let reason = conditionBlocks(condition) { return .alreadyUndone(reason) }
            switch presence(.home(path)) {
            case .absent: return .alreadyUndone("\(JournalPath.display(path)) is already gone")
            case .nonDirectory: return .alreadyUndone("\(JournalPath.display(path)) is not a directory the restore created")
            case .directory: return .perform
            }
        case .renameBack(let from, let to):
            if presence(from) == .absent {
                return .alreadyUndone("\(from) is absent: the original was never moved or is already back")
            }
            if presence(.home(to)) != .absent {
                return .cannotUndo("cannot move \(from) back: \(JournalPath.display(to)) exists and is not overwritten")
            }
            return .perform
        case .restoreAttributes(let path, _, let condition):
            if let reason = conditionBlocks(condition) { return .alreadyUndone(reason) }
            if presence(.home(path)) == .absent {
                return .alreadyUndone("\(JournalPath.display(path)) no longer exists")
            }
            return .perform
        case .extractFromSnapshot:
            return .perform
        }
    }

    /// The home path this operation acts on.
    public var path: [UInt8] {
        switch self {
        case .removeIfPresent(let path, _), .removeEmptyDirectory(let path, _),
             .restoreAttributes(let path, _, _), .extractFromSnapshot(let path):
            path
        case .renameBack(_, let to):
            to
        }
    }

    /// The preconditions in words, for logs, `--dry-run` and error messages.
    public var preconditionDescription: String {
        func conditionText(_ condition: UndoCondition) -> String {
            var parts: [String] = []
            if let staged = condition.skipIfStillStaged {
                parts.append("staging:\(JournalPath.display(staged)) no longer exists")
            }
            if let holder = condition.requireOriginalAt {
                parts.append("\(holder) still exists")
            }
            return parts.isEmpty ? "" : " if " + parts.joined(separator: " and ")
        }
        switch self {
        case .removeIfPresent(let path, let condition):
            return "unlink \(JournalPath.display(path)) if it exists and is not a directory" + conditionText(condition)
        case .removeEmptyDirectory(let path, let condition):
            return "rmdir \(JournalPath.display(path)) if it is a directory (it must be empty)" + conditionText(condition)
        case .renameBack(let from, let to):
            return "rename \(from) to \(JournalPath.display(to)) if \(from) exists; refuse if \(JournalPath.display(to)) exists"
        case .restoreAttributes(let path, let attributes, let condition):
            return "set mode \(String(attributes.mode, radix: 8)), owner \(attributes.uid):\(attributes.gid), mtime \(attributes.mtimeSeconds).\(attributes.mtimeNanoseconds) on \(JournalPath.display(path)) if it exists" + conditionText(condition)
        case .extractFromSnapshot(let path):
            return "extract \(JournalPath.display(path)) and everything below it from the pre-restore snapshot, replacing what is there"
        }
    }
}

/// An undo operation for step `index` of the journal, as listed in a rollback.
public struct PlannedUndo: Sendable, Hashable {
    /// The step's index; report with ``RestoreTransaction/didUndo(_:)`` / `undoFailed`.
    public var index: Int
    /// The step being undone (for messages).
    public var step: JournalStep
    /// What to do.
    public var operation: UndoOperation

    /// Creates a planned undo.
    public init(index: Int, step: JournalStep, operation: UndoOperation) {
        self.index = index
        self.step = step
        self.operation = operation
    }
}
