/// The member of every archive (full and incremental) that records the whole tree as it was at
/// backup time, one JSON object per line. It sits in the trailer, before the checksum list,
/// below `.sindri/` so that a sindri too old to know it treats it as the tool's own state and
/// never restores it, while `tar -xzOf ARCHIVE .sindri/backup-index.jsonl | jq` reads it.
public let INDEX_FILENAME = ".sindri/backup-index.jsonl"

/// One path of the tree at backup time: what the next incremental compares the home against,
/// and what a chain restore rebuilds the final tree from.
///
/// Times are nanoseconds since the epoch; `device` and `inode` identify the file on the machine
/// that made the backup (they only matter for change detection there). `sha256` and `archive`
/// are set for regular files: the content's digest, and the data checksum (the manifest's
/// `checksum.value`) of the archive of the chain whose tar holds the content.
public struct BackupIndexEntry: Sendable, Equatable {
    /// The kinds the index records (the walker archives nothing else).
    public enum Kind: String, Sendable, Equatable {
        case file, directory, symlink, hardlink, fifo

        /// The tar kind of a member of this kind.
        public var tarKind: TarEntryKind {
            switch self {
            case .file: return .regular
            case .directory: return .directory
            case .symlink: return .symbolicLink
            case .hardlink: return .hardLink
            case .fifo: return .fifo
            }
        }

        /// The index kind of a tar kind, nil for kinds a backup never archives.
        public init?(_ kind: TarEntryKind) {
            switch kind {
            case .regular: self = .file
            case .directory: self = .directory
            case .symbolicLink: self = .symlink
            case .hardLink: self = .hardlink
            case .fifo: self = .fifo
            default: return nil
            }
        }
    }

    public var path: [UInt8]
    public var kind: Kind
    public var size: UInt64
    public var modificationNanoseconds: Int64
    public var changeNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64
    /// Permission bits (the low 12 bits of st_mode).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// A symlink's target, or the path of the file a hard link shares its inode with.
    public var linkTarget: [UInt8]
    /// SHA-256 of a regular file's content (32 bytes).
    public var sha256: [UInt8]?
    /// The data checksum of the archive holding a regular file's content.
    public var archive: String?

    public init(
        path: [UInt8], kind: Kind, size: UInt64 = 0, modificationNanoseconds: Int64 = 0, changeNanoseconds: Int64 = 0,
        inode: UInt64 = 0, device: UInt64 = 0, mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
        linkTarget: [UInt8] = [], sha256: [UInt8]? = nil, archive: String? = nil
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.modificationNanoseconds = modificationNanoseconds
        self.changeNanoseconds = changeNanoseconds
        self.inode = inode
        self.device = device
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.linkTarget = linkTarget
        self.sha256 = sha256
        self.archive = archive
    }

    /// Whole seconds of the modification time (what a tar header carries), rounded down.
    public var modificationSeconds: Int64 {
        modificationNanoseconds >= 0 ? modificationNanoseconds / 1_000_000_000 : (modificationNanoseconds - 999_999_999) / 1_000_000_000
    }
}
