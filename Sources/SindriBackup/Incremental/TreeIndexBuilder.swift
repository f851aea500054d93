import CSindriSystem
import Crypto
import SindriArchive
import SindriSystem
#if canImport(Glibc)
import Glibc
#endif

/// What an incremental backup asks for: a base (nil: the newest backup of the same source and
/// profile in the output directory) and whether content decides instead of ctime and inode.
public struct IncrementalOptions: Sendable {
    public var base: String?
    public var rehash: Bool
    /// Keys to read an encrypted base's index with.
    public var keys: ArchiveDecryptionKeys

    public init(base: String? = nil, rehash: Bool = false, keys: ArchiveDecryptionKeys = ArchiveDecryptionKeys()) {
        self.base = base
        self.rehash = rehash
        self.keys = keys
    }
}

/// Decides, for one backup, which walked entries go into the tar, and builds the archive's
/// index from the walk once the data is written.
///
/// A full backup archives every entry. An incremental leaves out the content of the files that
/// did not change since its base (`ChangeDetection`) and the hard links to them; directories,
/// symlinks and FIFOs are always archived (they are small, and GNU tar extracting the
/// incremental then gets the changed files in their directories with their modes). Every entry,
/// archived or not, is in the index, each file naming the archive that holds its content.
struct TreeIndexBuilder: Sendable {
    let walk: WalkResult
    /// The members of this archive's tar, with the walk's `lstat` of each.
    private(set) var entries: [TarEntry] = []
    private(set) var stamps: [FileStamp] = []
    /// For each walked entry, its index among `entries` (nil: left out).
    private(set) var layoutIndex: [Int?] = []
    /// The base's records, and for each walked file taken from the base (its content neither
    /// read nor archived again) the index of its record there, which names its SHA-256 and the
    /// archive holding it.
    private let baseEntries: [BackupIndexEntry]
    private(set) var reused: [Int: Int] = [:]
    private(set) var fileCount = 0
    private(set) var fileBytes: UInt64 = 0

    /// Selects the tar's members. With a base, files whose change cannot be ruled out by their
    /// `lstat` are read and hashed (`--rehash`, or a base without an index).
    ///
    /// Blocking (reads files): run it on `BlockingExecutor.shared`.
    init(walk: WalkResult, base: BaseArchive?, rehash: Bool, homeDescriptor: Int32) throws {
        self.walk = walk
        baseEntries = base?.entries ?? []
        var basePosition: [PathKey: Int] = [:]
        basePosition.reserveCapacity(baseEntries.count)
        for (position, entry) in baseEntries.enumerated() { basePosition[PathKey(entry.path)] = position }
        // Only a hard link needs to know whether its target was left out; most trees have none.
        let hasHardLinks = base != nil && walk.entries.contains { $0.kind == .hardLink }
        var reusedPaths = Set<PathKey>()
        layoutIndex.reserveCapacity(walk.entries.count)
        for (index, entry) in walk.entries.enumerated() {
            if index % 256 == 0 { try Interruption.checkpoint() }
            let stamp = index < walk.stamps.count ? walk.stamps[index] : FileStamp()
            var keep = true
            if let base, entry.kind == .regular, let position = basePosition[PathKey(entry.path)] {
                let previous = baseEntries[position]
                switch ChangeDetection.decide(current: Self.record(entry, stamp), base: previous, baseHasIndex: base.hasIndex, rehash: rehash) {
                case .changed:
                    break
                case .unchanged:
                    keep = false
                case .compareDigest(let expected):
                    keep = Self.digest(of: entry.path, stamp: stamp, home: homeDescriptor) != expected
                }
                if !keep, previous.sha256 != nil, previous.archive != nil {
                    reused[index] = position
                    if hasHardLinks { reusedPaths.insert(PathKey(entry.path)) }
                } else {
                    keep = true
                }
            }
            // A hard link to a file left out would name a member this tar does not have.
            if entry.kind == .hardLink, reusedPaths.contains(PathKey(entry.linkTarget)) { keep = false }
            if keep {
                layoutIndex.append(entries.count)
                entries.append(entry)
                stamps.append(stamp)
                if entry.kind == .regular {
                    fileCount += 1
                    fileBytes += entry.size
                }
            } else {
                layoutIndex.append(nil)
            }
        }
    }

    /// The index member's content, once the data is written: `digests` are the tar members'
    /// SHA-256 (by index in `entries`), `archive` this archive's data checksum.
    func encodedIndex(digests: [[UInt8]?], archive: String) -> [UInt8] {
        var out = BackupIndexCodec.header(entries: walk.entries.count)
        out.reserveCapacity(walk.entries.count * 400)
        let emptyDigest = Array(SHA256.hash(data: [UInt8]()))
        for (index, entry) in walk.entries.enumerated() {
            let stamp = index < walk.stamps.count ? walk.stamps[index] : FileStamp()
            var record = Self.record(entry, stamp)
            if entry.kind == .regular {
                if let position = reused[index] {
                    record.sha256 = baseEntries[position].sha256
                    record.archive = baseEntries[position].archive
                } else if let position = layoutIndex[index] {
                    record.sha256 = digests[position] ?? (entry.size == 0 ? emptyDigest : nil)
                    record.archive = archive
                }
            }
            BackupIndexCodec.append(record, to: &out)
        }
        return out
    }

    /// The index record of a walked entry (no digest yet).
    static func record(_ entry: TarEntry, _ stamp: FileStamp) -> BackupIndexEntry {
        BackupIndexEntry(
            path: entry.path, kind: BackupIndexEntry.Kind(entry.kind) ?? .file, size: entry.kind == .regular ? entry.size : 0,
            modificationNanoseconds: stamp.modificationSeconds &* 1_000_000_000 &+ stamp.modificationNanoseconds,
            changeNanoseconds: stamp.changeSeconds &* 1_000_000_000 &+ stamp.changeNanoseconds,
            inode: stamp.inode, device: stamp.device, mode: entry.mode & 0o7777, uid: entry.uid, gid: entry.gid,
            linkTarget: entry.kind == .symbolicLink || entry.kind == .hardLink ? entry.linkTarget : [])
    }

    /// SHA-256 of a file, read through one descriptor that must still be the walked file
    /// (same inode, size and mtime afterwards); nil when it cannot be read or changed meanwhile,
    /// which makes the file count as changed and be archived (and checked) by the block reader.
    static func digest(of path: [UInt8], stamp: FileStamp, home: Int32) -> [UInt8]? {
        guard let fd = try? withCPath(path, { try FileOpener.openBeneath(home, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) }) else { return nil }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while true {
            guard let count = try? buffer.withUnsafeMutableBytes({ try Syscalls.readFully(fd, into: $0, at: offset) }) else { return nil }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            offset += Int64(count)
            if count < buffer.count { break }
        }
        guard let info = try? Syscalls.fileStatus(fd) else { return nil }
        var after = FileStamp(info)
        after.changeSeconds = stamp.changeSeconds
        after.changeNanoseconds = stamp.changeNanoseconds
        guard after == stamp, offset == stamp.size else { return nil }
        return Array(hasher.finalize())
    }
}
