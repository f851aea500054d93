import Foundation
import SindriArchive

/// How a restore treats what already exists in the home (the three restore modes).
public enum RestoreMode: String, Sendable, Codable, CaseIterable {
    /// Never touch an existing path; restore what is missing; report conflicts.
    case safe
    /// Keep a differing file as `<name>.bak[.N]`, then replace it; merge shell configs.
    case merge
    /// Overwrite everything except system markers, without `.bak`.
    case full
}

/// Options of a restore (the library's `RestoreOptions`).
public struct RestoreOptions: Sendable {
    public var mode: RestoreMode
    /// Plan and report only; change nothing anywhere.
    public var dryRun: Bool
    /// Asking for confirmation is the CLI's job; kept for the library's documented API.
    public var interactive: Bool
    /// Restore despite a different major format version and skip the free-space check.
    /// Never overrides system-marker protection.
    public var force: Bool
    public var validateExtensions: Bool
    public var autoUpgradeExtensions: Bool
    /// Restore only these PATHs (and what lies below them); empty means everything. Literal paths
    /// relative to the home, or globs (see ``RestorePathSelection``); a PATH that matches nothing
    /// fails the restore before anything in the home changes.
    public var only: [String]
    /// The codec of the pre-restore snapshot.
    public var snapshotCodec: SnapshotCodec
    /// Completed-restore snapshots to keep (older ones are pruned).
    public var keepSnapshots: Int
    /// Asked after the analysis (stage 2), before anything in the home changes, when the plan
    /// replaces or modifies an existing path; false cancels the restore (nothing changed). Nil
    /// (or a dry run) asks nothing. Runs on the restore's blocking thread, so it may read a terminal.
    public var confirm: (@Sendable (RestoreChanges) -> Bool)?
    /// How to open a remote or encrypted archive.
    public var access = ArchiveAccess()
    /// Where the bases of an incremental archive are looked for.
    public var chain = ChainSources()

    public init(
        mode: RestoreMode = .safe, dryRun: Bool = false, interactive: Bool = true, force: Bool = false,
        validateExtensions: Bool = true, autoUpgradeExtensions: Bool = false, only: [String] = [],
        snapshotCodec: SnapshotCodec = .gzip, keepSnapshots: Int = 5, confirm: (@Sendable (RestoreChanges) -> Bool)? = nil
    ) {
        self.mode = mode
        self.dryRun = dryRun
        self.interactive = interactive
        self.force = force
        self.validateExtensions = validateExtensions
        self.autoUpgradeExtensions = autoUpgradeExtensions
        self.only = only
        self.snapshotCodec = snapshotCodec
        self.keepSnapshots = keepSnapshots
        self.confirm = confirm
    }
}

/// The compression of pre-restore snapshots.
public enum SnapshotCodec: String, Sendable, Codable, CaseIterable {
    /// `snapshot-<id>.tar.gz`, readable with `tar -xzf`.
    case gzip
    /// `snapshot-<id>.tar.lz4`, readable with `lz4 -dc | tar -x`.
    case lz4

    var fileExtension: String { self == .gzip ? "tar.gz" : "tar.lz4" }
}

/// What the planner decided for one path.
public enum RestoreAction: String, Sendable, Codable {
    case create = "create"
    case overwrite = "overwrite"
    case keepBackupAndOverwrite = "keep .bak and overwrite"
    case merge = "merge"
    /// A non-directory that exists and differs (in safe mode: a conflict, left as it is).
    case skipExists = "skip: exists"
    /// A directory the archive also has: nothing to do, and not a conflict.
    case skipDirectoryExists = "skip: directory exists"
    case skipIdentical = "skip: identical"
    case protectedMarker = "protected marker"
    case skipUnsafe = "skip: unsafe"

    /// Whether the action changes the home.
    public var writes: Bool {
        switch self {
        case .create, .overwrite, .keepBackupAndOverwrite, .merge: return true
        default: return false
        }
    }
}

extension RestoreAction {
    /// The action as a JSON object key: the words of ``rawValue`` joined by `_`
    /// (`skip: exists` becomes `skip_exists`), so `jq '.details.actions.skip_exists'` works.
    public var jsonKey: String {
        rawValue.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).joined(separator: "_")
    }
}

/// One line of a restore plan.
public struct PlannedPath: Sendable {
    public var path: [UInt8]
    public var action: RestoreAction
    /// Why, when the action is a skip or a protection.
    public var reason: String?
    /// Where the original goes in merge mode (`name.bak`, `name.bak.1`, ...).
    public var backupPath: [UInt8]?
    /// The home has a directory where the archive has something else, or the reverse.
    public var typeConflict: Bool = false
    /// The archive's member is a regular file (what a summary's `files` counts).
    public var isRegularFile: Bool = false

    /// Whether the plan left this path alone because it differs from the backup (safe mode).
    public var isConflict: Bool { action == .skipExists && reason?.contains("conflict") == true }
}

/// What a restore would change in what the home already has: the figures of the confirmation
/// asked after the analysis.
public struct RestoreChanges: Sendable, Equatable {
    public var created = 0
    /// Files (and links) overwritten without a copy (full mode; the snapshot keeps them).
    public var replaced = 0
    /// Files kept as `.bak` and replaced (merge mode).
    public var keptAsBackup = 0
    /// Shell configs merged.
    public var merged = 0
    /// Paths whose type changes (a directory replaced by a file, or the reverse).
    public var typeConflictsReplaced = 0

    public init(_ plan: [PlannedPath]) {
        for item in plan {
            switch item.action {
            case .create: created += 1
            case .merge: merged += 1
            case .overwrite, .keepBackupAndOverwrite:
                if item.typeConflict { typeConflictsReplaced += 1 }
                else if item.action == .overwrite { replaced += 1 }
                else { keptAsBackup += 1 }
            default: break
            }
        }
    }

    /// Whether anything that already exists in the home would be replaced or modified.
    public var modifiesExisting: Bool { replaced + keptAsBackup + merged + typeConflictsReplaced > 0 }

    /// `2 replaced, 1 kept as .bak and replaced, 1 type conflict replaced, 4 created`: the
    /// non-zero figures.
    public var description: String {
        [(replaced, "replaced"), (keptAsBackup, "kept as .bak and replaced"), (merged, "merged"),
         (typeConflictsReplaced, typeConflictsReplaced == 1 ? "type conflict replaced" : "type conflicts replaced"),
         (created, "created")]
            .filter { $0.0 > 0 }
            .map { "\($0.0) \($0.1)" }
            .joined(separator: ", ")
    }
}

/// What a restore did (or, for a dry run, would do).
public struct RestoreResult: Sendable {
    public var manifest: BackupManifest
    public var plan: [PlannedPath]
    public var restored: Int
    public var skipped: Int
    public var conflicts: Int
    public var protected: Int
    public var notes: [String]
    public var warnings: [String]
    public var snapshotPath: String?
    public var dryRun: Bool
    public var durationSeconds: Double

    public func count(_ action: RestoreAction) -> Int { plan.filter { $0.action == action }.count }

    /// The paths left alone because they differ from the backup (safe mode), in plan order.
    public var conflictPaths: [[UInt8]] { plan.filter(\.isConflict).map(\.path) }
    /// Of those, the type conflicts.
    public var typeConflicts: Int { plan.filter { $0.isConflict && $0.typeConflict }.count }
}

/// What `verify` (and restore's stage 1) established about an archive.
public struct VerificationReport: Sendable {
    public var manifest: BackupManifest
    public var members: Int
    public var regularFiles: Int
    public var contentBytes: UInt64
    public var compressedBytes: UInt64
    public var gzipMembers: Int
    /// Files whose SHA256 was checked against the archive's checksum list.
    public var checkedChecksums: Int
    /// Whether the manifest's (or summary's) archive checksum was present and matched.
    public var archiveChecksumVerified: Bool
    public var notes: [String]
    /// The archives of an incremental's chain, newest first (empty for a full archive).
    public var chain: [ChainLinkSummary] = []
}

/// Which entry of the home a path names: its type, device and inode, taken with `lstat` when the
/// restore is planned. Every rename of an existing entry first checks that the path still names
/// this entry, so an entry the home's owner swapped in after planning (a directory full of data
/// where a file was) is never moved aside, snapshotted wrongly or deleted at commit.
struct EntryIdentity: Hashable, Sendable {
    var type: UInt32
    var device: UInt64
    var inode: UInt64

    init(_ info: stat) {
        type = UInt32(info.st_mode & S_IFMT)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    var isDirectory: Bool { type == UInt32(S_IFDIR) }
}
