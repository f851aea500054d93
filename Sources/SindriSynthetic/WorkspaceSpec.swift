/// What to generate: the size of a synthetic developer home and the seed that makes it reproducible.
public struct WorkspaceSpec: Sendable, Hashable {
    /// Requested total size of regular-file content in bytes (each inode counted once), excluded folders included.
    /// The generated tree lands within a few percent of it; trees below about 1 MiB are dominated by fixed dotfiles.
    public var totalBytes: Int64
    /// The seed every name, size, byte, mode and timestamp derives from.
    public var seed: UInt64
    /// When set, generate exactly this many small files (100 B - 4 KiB) spread over nested directories under
    /// `workspace/projects/` and nothing else; `totalBytes` is then ignored. This is the many-small-files benchmark case.
    public var smallFilesOnly: Int?

    /// Creates a spec; the defaults give a 64 MiB standard home with seed 42.
    public init(totalBytes: Int64 = 64 << 20, seed: UInt64 = 42, smallFilesOnly: Int? = nil) {
        self.totalBytes = totalBytes
        self.seed = seed
        self.smallFilesOnly = smallFilesOnly
    }
}
