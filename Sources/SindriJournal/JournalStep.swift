/// One change the applier makes to the home, with everything its undo needs.
///
/// Paths are relative to the home, as raw bytes (names need not be UTF-8). Staging and aside
/// names are single file names inside `<home>/.sindri/txn-<id>/staging/` and `.../aside/`.
///
/// Contract with the applier (what makes every undo safe to repeat, see ``UndoOperation``):
/// - new entries (`placeNew`, `replace`) are non-directories that already exist in staging when
///   the step is recorded (a hard link is first linked inside staging), and are put in place by one
///   `rename` out of staging, so "still staged" proves the step did not happen;
/// - directories are made with `createDirectory`, only where nothing exists;
/// - an original is never deleted: `moveAside`/`keepBackup` rename it away (the latter with
///   `RENAME_NOREPLACE` onto a free `.bak` name), and a following `replace`, `createDirectory` or
///   `placeNew` at the same path (or below it) fills the hole;
/// - to give a directory its exact mtime back, record `setAttributes` for it before the first
///   change inside it: undo runs in reverse, so it is restored after its entries.
public enum JournalStep: Sendable, Hashable {
    /// `mkdir(path)` where nothing existed. Undo: remove it again if it is an empty directory.
    case createDirectory(path: [UInt8])
    /// `rename(staging/<stagingName>, path)` where nothing existed: a file, symlink or hard link.
    /// Undo: unlink `path` (nothing to restore; the staged copy was consumed).
    /// `placed` (absent in older journals) is what was put there, for a later three-way rollback.
    case placeNew(path: [UInt8], stagingName: [UInt8], placed: EntryFingerprint? = nil)
    /// `rename(path, aside/<asideName>)`: the original (any type, a directory with its whole
    /// subtree) is parked. Undo: rename it back to `path`.
    case moveAside(path: [UInt8], asideName: [UInt8])
    /// Merge mode: `rename(path, backupPath)` with `RENAME_NOREPLACE`, the original kept as
    /// `<name>.bak[.N]` in the home. Undo: rename `backupPath` back to `path`.
    case keepBackup(path: [UInt8], backupPath: [UInt8])
    /// `rename(staging/<stagingName>, path)` over the hole left by an earlier `moveAside` or
    /// `keepBackup` of `path`. Undo: unlink `path`; the earlier step's undo brings the original back.
    case replace(path: [UInt8], stagingName: [UInt8], placed: EntryFingerprint? = nil)
    /// Mode, owner or mtime change of an existing directory (or other entry). `previous` is what
    /// it had before. Undo: set `previous` again.
    case setAttributes(path: [UInt8], previous: FileAttributes)

    /// The home path the step changes.
    public var path: [UInt8] {
        switch self {
        case .createDirectory(let path), .placeNew(let path, _, _), .moveAside(let path, _),
             .keepBackup(let path, _), .replace(let path, _, _), .setAttributes(let path, _):
            path
        }
    }

    /// Where this step parks the original of ``path`` (`moveAside`, `keepBackup`), else `nil`.
    public var originalHolder: JournalLocation? {
        switch self {
        case .moveAside(_, let asideName): .aside(asideName)
        case .keepBackup(_, let backupPath): .home(backupPath)
        default: nil
        }
    }

    /// The staging entry this step consumes (`placeNew`, `replace`), else `nil`.
    public var stagingName: [UInt8]? {
        switch self {
        case .placeNew(_, let name, _), .replace(_, let name, _): name
        default: nil
        }
    }

    /// What a `placeNew`/`replace` step put at its path, when the journal recorded it.
    public var placedFingerprint: EntryFingerprint? {
        switch self {
        case .placeNew(_, _, let placed), .replace(_, _, let placed): placed
        default: nil
        }
    }

    /// The home directories whose entry lists or own metadata this step changes; fsyncing them
    /// makes the step durable (the applier does so before committing).
    public var changedDirectories: [[UInt8]] {
        switch self {
        case .createDirectory(let path): [JournalPath.parent(of: path), path]
        case .placeNew(let path, _, _), .moveAside(let path, _), .replace(let path, _, _):
            [JournalPath.parent(of: path)]
        case .keepBackup(let path, let backupPath):
            [JournalPath.parent(of: path), JournalPath.parent(of: backupPath)]
        case .setAttributes(let path, _): [path]
        }
    }

    /// A short name of the operation, as stored in the journal (`"moveAside"`, ...).
    public var operationName: String {
        switch self {
        case .createDirectory: "createDirectory"
        case .placeNew: "placeNew"
        case .moveAside: "moveAside"
        case .keepBackup: "keepBackup"
        case .replace: "replace"
        case .setAttributes: "setAttributes"
        }
    }

    /// Why this step cannot be journaled, or `nil` when its paths and names are well formed:
    /// home paths relative and clean (only `setAttributes` may name the home itself), staging and
    /// aside names single components, attributes within range.
    public var validationProblem: String? {
        let path = self.path
        if !JournalPath.isValidHomePath(path) {
            return "\(operationName): path \(JournalPath.display(path)) is not a clean relative path"
        }
        if path.isEmpty {
            if case .setAttributes = self {} else {
                return "\(operationName): the home directory itself cannot be created, moved or replaced"
            }
        }
        switch self {
        case .placeNew(_, let name, _), .replace(_, let name, _):
            if !JournalPath.isValidName(name) {
                return "\(operationName): staging name \(JournalPath.display(name)) is not a single file name"
            }
        case .moveAside(_, let name):
            if !JournalPath.isValidName(name) {
                return "moveAside: aside name \(JournalPath.display(name)) is not a single file name"
            }
        case .keepBackup(_, let backupPath):
            if backupPath.isEmpty || !JournalPath.isValidHomePath(backupPath) || backupPath == path {
                return "keepBackup: backup path \(JournalPath.display(backupPath)) is not a clean relative path distinct from the original"
            }
        case .setAttributes(_, let previous):
            if !previous.isValid {
                return "setAttributes: previous attributes out of range (mode \(String(previous.mode, radix: 8)), nanoseconds \(previous.mtimeNanoseconds))"
            }
        case .createDirectory:
            break
        }
        return nil
    }
}

extension JournalStep: CustomStringConvertible {
    /// A printable one-line rendering for logs and error messages.
    public var description: String {
        switch self {
        case .createDirectory(let path): "createDirectory \(JournalPath.display(path))"
        case .placeNew(let path, let name, _): "placeNew \(JournalPath.display(path)) from staging:\(JournalPath.display(name))"
        case .moveAside(let path, let name): "moveAside \(JournalPath.display(path)) to aside:\(JournalPath.display(name))"
        case .keepBackup(let path, let backup): "keepBackup \(JournalPath.display(path)) as \(JournalPath.display(backup))"
        case .replace(let path, let name, _): "replace \(JournalPath.display(path)) from staging:\(JournalPath.display(name))"
        case .setAttributes(let path, let previous):
            "setAttributes \(JournalPath.display(path)) (previous mode \(String(previous.mode, radix: 8)))"
        }
    }
}
