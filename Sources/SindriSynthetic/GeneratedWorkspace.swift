/// Figures describing a tree that `WorkspaceGenerator` wrote.
public struct GeneratedWorkspace: Sendable, Hashable {
    /// The directory the home was generated in (it plays the role of `$HOME`).
    public let root: String
    /// Number of regular-file paths, as `find -type f` counts them (a hard link's second name counts).
    public let fileCount: Int
    /// Number of directories below `root` (the root itself is not counted).
    public let directoryCount: Int
    /// Number of symbolic links (all relative, all pointing inside the home).
    public let symlinkCount: Int
    /// Bytes of regular-file content, each inode counted once.
    public let totalBytes: Int64
    /// Bytes of already-compressed content anywhere in the tree (git packs and loose objects, images, cached archives).
    public let incompressibleBytes: Int64
    /// Bytes inside the always-excluded folders (`.cache`, mise installs, `.local/state`,
    /// `node_modules`, `.venv`, `__pycache__`, `target/debug`, `dist`, `build`, `workspace/.system/logs`).
    public let excludedBytes: Int64

    /// Creates the figures; the generator is the only intended caller.
    public init(
        root: String, fileCount: Int, directoryCount: Int, symlinkCount: Int,
        totalBytes: Int64, incompressibleBytes: Int64, excludedBytes: Int64
    ) {
        self.root = root
        self.fileCount = fileCount
        self.directoryCount = directoryCount
        self.symlinkCount = symlinkCount
        self.totalBytes = totalBytes
        self.incompressibleBytes = incompressibleBytes
        self.excludedBytes = excludedBytes
    }

    /// A one-line human summary: files, directories, bytes and the incompressible share.
    public var summary: String {
        let percent = totalBytes > 0 ? Double(incompressibleBytes) * 100 / Double(totalBytes) : 0
        let excludedPercent = totalBytes > 0 ? Double(excludedBytes) * 100 / Double(totalBytes) : 0
        return "\(fileCount) files, \(directoryCount) dirs, \(symlinkCount) symlinks, \(totalBytes) bytes"
            + " (\(ByteCountText.format(totalBytes))), incompressible \(Self.oneDecimal(percent))%,"
            + " excluded \(Self.oneDecimal(excludedPercent))% in \(root)"
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
