import SindriArchive
#if canImport(Glibc)
import Glibc
#endif

/// A device and inode pair: identifies a file across names (hard links, the output file).
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
}

/// What the walk's `lstat` said about a member, for telling later whether the file read is
/// still the file the walk saw (as GNU tar does: inode, size, mtime and ctime). It travels with
/// the member through the layout to the reader, so change detection against an earlier backup
/// can read the same fields (add any other `stat` field here).
public struct FileStamp: Sendable, Equatable {
    public var device: UInt64 = 0
    public var inode: UInt64 = 0
    public var size: Int64 = 0
    public var modificationSeconds: Int64 = 0
    public var modificationNanoseconds: Int64 = 0
    public var changeSeconds: Int64 = 0
    public var changeNanoseconds: Int64 = 0

    public init() {}

    public init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modificationSeconds = Int64(info.st_mtim.tv_sec)
        modificationNanoseconds = Int64(info.st_mtim.tv_nsec)
        changeSeconds = Int64(info.st_ctim.tv_sec)
        changeNanoseconds = Int64(info.st_ctim.tv_nsec)
    }
}

/// What the walk found: the members in archive order, the totals, and what it left out.
///
/// The same shape serves a whole walk and one of its batches (``WalkBatch``): a walk's result is
/// its batches appended in order, whatever their size.
public struct WalkResult: Sendable {
    /// Members in deterministic order: pre-order depth-first, siblings sorted by name bytes.
    public var entries: [TarEntry]
    /// The walk's `lstat` of each member, in the same order as `entries`.
    public var stamps: [FileStamp] = []
    /// Sockets found and left out. They cannot be archived, and the programs that made them
    /// (gpg-agent, ssh-agent) recreate them, so they are reported without making the backup
    /// incomplete (exit 0, as GNU tar does).
    public var socketsSkipped: [[UInt8]] = []
    /// Earlier sindri archives (and their sidecars) found in the home and left out.
    public var archivesSkipped: [[UInt8]] = []
    public var warnings: [BackupWarning]
    public var decisions: [WalkDecision]
    /// Regular files whose content is archived (hard links excluded).
    public var regularFileCount: Int
    /// Their content bytes.
    public var regularFileBytes: UInt64

    /// Nothing found yet.
    public init() {
        entries = []
        warnings = []
        decisions = []
        regularFileCount = 0
        regularFileBytes = 0
    }

    /// Appends the next batch of the same walk.
    public mutating func append(_ batch: WalkBatch) {
        entries.append(contentsOf: batch.entries)
        stamps.append(contentsOf: batch.stamps)
        socketsSkipped.append(contentsOf: batch.socketsSkipped)
        archivesSkipped.append(contentsOf: batch.archivesSkipped)
        warnings.append(contentsOf: batch.warnings)
        decisions.append(contentsOf: batch.decisions)
        regularFileCount += batch.regularFileCount
        regularFileBytes += batch.regularFileBytes
    }

    /// Entries, warnings and decisions: what a batch's size is counted in.
    var itemCount: Int { entries.count + warnings.count + decisions.count + socketsSkipped.count + archivesSkipped.count }
}

/// A part of a walk, in order: what ``DirectoryWalker/nextBatch()`` hands over per executor hop.
public typealias WalkBatch = WalkResult

