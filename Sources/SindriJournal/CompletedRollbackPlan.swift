/// The undo of a committed restore (`sindri rollback`), as a plan in three phases. Pure: the
/// decisions about each path are functions of what is observed there, so they are unit-tested
/// without a file system.
///
/// 1. **Clear**, newest step first: every entry the restore placed is removed if it is still
///    exactly what was placed (its fingerprint matches); anything else found there (edited,
///    replaced, created since) is kept, moved aside to a free `NAME.sindri-kept-<id>`. A directory
///    the restore created is removed when it is empty after that; one the user put files into
///    is left in place, or kept aside when an original must come back at its path. Nothing the
///    user wrote is ever deleted. Repeating the phase is safe: it only removes what matches.
/// 2. **Return** the originals: a merge-mode `.bak` still as it was (mode and mtime to the
///    nanosecond) is renamed back; otherwise the original comes from the snapshot, in one
///    sequential pass over it. A changed `.bak` is left where it is.
/// 3. **Attributes**: the recorded mode, owner and mtime of every directory the restore changed,
///    the home included, newest step first (after their entries, which move mtimes).
public struct CompletedRollbackPlan: Sendable, Hashable {
    /// An entry the restore put in the home, to clear in phase 1.
    public enum ClearItem: Sendable, Hashable {
        /// A file, symlink or hard link (`placeNew`/`replace`). `placed` is nil in old journals.
        case placed(path: [UInt8], placed: EntryFingerprint?, originalReturns: Bool)
        /// A directory the restore created.
        case createdDirectory(path: [UInt8], originalReturns: Bool)

        public var path: [UInt8] {
            switch self {
            case .placed(let path, _, _), .createdDirectory(let path, _): path
            }
        }
    }

    /// An original to put back in phase 2.
    public enum ReturnItem: Sendable, Hashable {
        /// Merge mode kept the original at `backup`; `original` is its recorded mode and mtime.
        case renameBackup(backup: [UInt8], path: [UInt8], original: FileAttributes?)
        /// Full and merge modes moved the original aside; it lives in the snapshot now.
        case extract(path: [UInt8])

        public var path: [UInt8] {
            switch self {
            case .renameBackup(_, let path, _), .extract(let path): path
            }
        }
    }

    /// What is at a path when phase 1 looks at it.
    public enum Observation: Sendable, Hashable {
        case absent
        /// A non-directory, with its current fingerprint (the digest only computed when the
        /// metadata matched the recorded one).
        case entry(EntryFingerprint)
        /// A directory; `empty` counts entries that phase 1 removes as gone.
        case directory(empty: Bool)
    }

    /// What phase 1 does at a path.
    public enum ClearDecision: Sendable, Hashable {
        /// Nothing there (never placed, or already cleared).
        case nothing
        /// Still what the restore placed: remove it.
        case remove
        /// Not the restore's: move it aside to a free `NAME.sindri-kept-<id>`.
        case keep
        /// A directory the restore created that now holds the user's files, where no original
        /// comes back: left in place.
        case leave
    }

    /// What phase 2 does for a merge-mode backup.
    public enum BackupDecision: Sendable, Hashable {
        /// The original is back at its path already (an earlier run got that far).
        case alreadyBack
        /// Rename the unchanged `.bak` back.
        case renameBack
        /// The `.bak` is gone or changed: extract the original from the snapshot (a changed
        /// `.bak` stays where it is).
        case extract(backupLeft: Bool)
    }

    public var header: JournalHeader
    /// Phase 1, in order.
    public var clear: [ClearItem]
    /// Phase 2, in order.
    public var returns: [ReturnItem]
    /// Phase 3, in order.
    public var attributes: [AttributeRestore]

    /// Phase 3: give `path` its `previous` mode, owner and mtime.
    public struct AttributeRestore: Sendable, Hashable {
        public var path: [UInt8]
        public var previous: FileAttributes
    }

    /// The plan for a journal's steps (in journal order).
    public init(header: JournalHeader, steps: [JournalStep]) {
        self.header = header
        var returning = Set<[UInt8]>()
        for step in steps {
            switch step {
            case .moveAside(let path, _), .keepBackup(let path, _): returning.insert(path)
            default: break
            }
        }
        var clear: [ClearItem] = []
        var returns: [ReturnItem] = []
        var attributes: [AttributeRestore] = []
        var lastAttributes: [[UInt8]: FileAttributes] = [:]
        for step in steps {
            switch step {
            case .setAttributes(let path, let previous): lastAttributes[path] = previous
            case .keepBackup(let path, let backup):
                returns.append(.renameBackup(backup: backup, path: path, original: lastAttributes[path]))
            case .moveAside(let path, _):
                returns.append(.extract(path: path))
            default: break
            }
        }
        for step in steps.reversed() {
            switch step {
            case .placeNew(let path, _, let placed), .replace(let path, _, let placed):
                clear.append(.placed(path: path, placed: placed, originalReturns: returning.contains(path)))
            case .createDirectory(let path):
                clear.append(.createdDirectory(path: path, originalReturns: returning.contains(path)))
            case .setAttributes(let path, let previous):
                attributes.append(AttributeRestore(path: path, previous: previous))
            case .moveAside, .keepBackup:
                break
            }
        }
        self.clear = clear
        self.returns = returns
        self.attributes = attributes
    }

    /// Phase 1's decision for one item.
    public static func decide(_ item: ClearItem, observed: Observation) -> ClearDecision {
        switch (item, observed) {
        case (_, .absent):
            return .nothing
        case (.placed(_, let placed, _), .entry(let current)):
            guard let placed else { return .keep }
            return placed.matches(current) ? .remove : .keep
        case (.placed, .directory):
            return .keep
        case (.createdDirectory, .directory(empty: true)):
            return .remove
        case (.createdDirectory(_, let originalReturns), .directory(empty: false)):
            return originalReturns ? .keep : .leave
        case (.createdDirectory, .entry):
            return .keep
        }
    }

    /// Phase 2's decision for a merge-mode backup, from what is at the path and at the backup.
    /// `backupAttributes` is the backup's mode and mtime now (nil when it is absent).
    public static func decideBackup(original: FileAttributes?, pathPresent: Bool, backupAttributes: FileAttributes?) -> BackupDecision {
        if pathPresent { return .alreadyBack }
        guard let current = backupAttributes else { return .extract(backupLeft: false) }
        guard let original else { return .renameBack }
        let unchanged = current.mode == original.mode && current.mtimeSeconds == original.mtimeSeconds
            && current.mtimeNanoseconds == original.mtimeNanoseconds
        return unchanged ? .renameBack : .extract(backupLeft: true)
    }

    /// The name a kept entry gets: `NAME.sindri-kept-<id>`, then `-2`, `-3`, ... when taken.
    public static func keptName(for name: [UInt8], identifier: String, attempt: Int) -> [UInt8] {
        name + Array(".sindri-kept-\(identifier)\(attempt > 1 ? "-\(attempt)" : "")".utf8)
    }
}

extension JournalRecovery {
    /// The three-phase undo of a committed restore, or of one whose `sindri rollback` was
    /// interrupted (`.reverting`). See ``CompletedRollbackPlan``.
    public static func completedRollback(records: [JournalRecord]) throws(CompletedUndoError) -> (plan: CompletedRollbackPlan, status: JournalStatus) {
        let history: JournalHistory
        switch JournalHistory.read(records) {
        case .success(let read): history = read
        case .failure(let violation): throw .inconsistent(violation)
        }
        guard let header = history.header else { throw .notCommitted(history.status) }
        switch history.status {
        case .committed, .reverting: break
        default: throw .notCommitted(history.status)
        }
        return (CompletedRollbackPlan(header: header, steps: history.steps), history.status)
    }
}
