/// What a backup takes from the home, as the specification's backup profiles define it.
///
/// The raw values are the names used on the command line and in the manifest (`"profile": "standard"`).
public enum BackupProfile: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// Projects, user scripts and configuration, Claude data, SSH host keys and `.gitconfig`: the data a
    /// move to a new instance needs, without anything the new instance regenerates.
    case userData = "user-data"
    /// `user-data` plus shell start-up files, `.config/` and `.local/bin/` (without mise state).
    case standard
    /// Everything but the always-excluded caches and build output; system markers included.
    case full

    /// The profile used when none is given.
    public static let `default`: BackupProfile = .standard

    /// The paths (relative to the home) that the profile archives, each with everything below it;
    /// nil for ``full``, which archives the whole home.
    public var includeRoots: [String]? {
        let userData = [
            "workspace/projects", "workspace/config", "workspace/scripts", "workspace/bin",
            ".claude", ".ssh/host_keys", ".gitconfig",
        ]
        switch self {
        case .userData: return userData
        case .standard: return userData + [".bashrc", ".profile", ".config", ".local/bin"]
        case .full: return nil
        }
    }

    /// Gitignore patterns the profile excludes on top of ``ALWAYS_EXCLUDE``.
    public var excludePatterns: [String] {
        switch self {
        case .userData, .full: return []
        case .standard: return [".config/mise/shims", ".local/share/mise", ".local/state"]
        }
    }

    /// True when the profile archives the system markers of ``NEVER_RESTORE`` (only ``full`` does; a
    /// restore still never writes them back).
    public var archivesSystemMarkers: Bool { self == .full }

    public var description: String { rawValue }
}
