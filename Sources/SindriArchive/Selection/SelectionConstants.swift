// The always-excluded patterns and the system markers, under the names of the library API.

/// Patterns excluded from every backup, whatever the profile: exactly the specified list, in its order.
///
/// ``BackupSelection`` applies them with two deliberate readings of their intent (see there): `X/**` also
/// leaves out the directory `X` itself, and `**/dist` and `**/build` exclude directories only.
public let ALWAYS_EXCLUDE: [String] = [
    ".cache/**",
    ".local/share/mise/installs/**",
    ".local/state/mise/**",
    ".local/state/**",
    "workspace/.system/logs/**",
    "**/node_modules/**",
    "**/.venv/**",
    "**/__pycache__/**",
    "**/target/debug/**",
    "**/target/release/**",
    "**/.next/**",
    "**/.gradle/**",
    "**/.turbo/**",
    "**/dist",
    "**/build",
]

/// System markers: paths relative to the home that are never restored, because restoring them makes a new
/// instance skip its first-boot setup or its extension installs. Directories cover everything below them.
public let NEVER_RESTORE: [String] = [
    ".initialized",
    ".welcome_shown",
    "workspace/.system/bootstrap.yaml",
    "workspace/.system/installed",
    "workspace/.system/install-status",
]

/// The tool's own state directory in the home (restore snapshots, journals); never backed up or restored.
public let TOOL_STATE_DIRECTORY = ".sindri"

/// The system markers as bytes, for comparing paths without converting them.
let neverRestoreBytes: [[UInt8]] = NEVER_RESTORE.map { Array($0.utf8) }

/// ``TOOL_STATE_DIRECTORY`` as bytes.
let toolStateDirectoryBytes: [UInt8] = Array(TOOL_STATE_DIRECTORY.utf8)

/// True when `path` is a system marker of ``NEVER_RESTORE`` or lies below one (`workspace/.system/installed/x`).
///
/// `path` must already be normalized: relative to the home, `/`-separated, without `.`/`..` components,
/// a leading `/` or `./`, or a trailing slash.
public func isSystemMarker(_ path: [UInt8]) -> Bool {
    path.withUnsafeBufferPointer { isSystemMarker($0) }
}

/// ``isSystemMarker(_:)`` on a buffer.
func isSystemMarker(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
    for marker in neverRestoreBytes where SelectionPath.isSelfOrDescendant(path, of: marker) {
        return true
    }
    return false
}

/// True when `path` is the tool state directory ``TOOL_STATE_DIRECTORY`` at the top of the home, or lies
/// below it. Same normalization as ``isSystemMarker(_:)``.
public func isToolState(_ path: [UInt8]) -> Bool {
    path.withUnsafeBufferPointer { SelectionPath.isSelfOrDescendant($0, of: toolStateDirectoryBytes) }
}
