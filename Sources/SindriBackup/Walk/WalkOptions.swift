import SindriArchive

/// What the directory walk selects beyond the profile and patterns.
public struct WalkOptions: Sendable {
    /// Stay on the home's filesystem: mount points are archived as empty directories.
    public var oneFileSystem = false
    /// Skip the contents of directories holding a valid `CACHEDIR.TAG` (the tag itself is kept).
    public var excludeCaches = false
    /// Skip directories that contain a file with one of these names.
    public var excludeIfPresent: [String] = []
    /// Skip regular files larger than this many bytes.
    public var excludeLargerThan: UInt64?
    /// Record excluded paths and the rule that decided them (for `--dry-run -v`).
    public var recordDecisions = false

    public init() {}
}

/// A file the walk saw and left out, with the reason (for `--dry-run -v` and `--json`).
public struct WalkDecision: Sendable, Equatable {
    public var path: [UInt8]
    public var isDirectory: Bool
    public var included: Bool
    public var rule: String
}

/// A non-fatal problem met during a backup: the path and what happened.
public struct BackupWarning: Sendable, Equatable, CustomStringConvertible {
    public var path: [UInt8]
    public var message: String

    public init(path: [UInt8], message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(PathBytes.display(path)): \(message)" }
}
