/// Where the bases of an incremental archive are looked for, by their checksum: archives
/// named on the command line first, then these directories, then the directory of the
/// incremental itself.
public struct ChainSources: Sendable {
    /// `--base-dir DIR` (repeatable).
    public var directories: [String]
    /// `--base ARCHIVE` (repeatable).
    public var archives: [String]

    public init(directories: [String] = [], archives: [String] = []) {
        self.directories = directories
        self.archives = archives
    }
}
