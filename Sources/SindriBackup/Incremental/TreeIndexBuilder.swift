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
///
/// It takes the walk batch by batch (`select`), as the walk streams into the tar: each entry's
/// decision needs only the base's record of its path and, for a hard link, whether its target
/// (walked before it) was left out, so nothing waits for the whole walk.
struct TreeIndexBuilder: Sendable {
    /// Every walked entry and its `lstat`, in walk order (the index lists them all).
    private(set) var walked: [TarEntry] = []
    private(set) var walkedStamps: [FileStamp] = []
    /// For each walked entry, its index among the tar's members (nil: left out).
    private(set) var layoutIndex: [Int?] = []
    /// Files taken from the base: walked index -> (SHA-256, archive holding the content).
    private(set) var reused: [Int: (digest: [UInt8], archive: String)] = [:]
    /// The tar's members so far, and the regular files and bytes among them.
    private(set) var memberCount = 0
    private(set) var fileCount = 0
    private(set) var fileBytes: UInt64 = 0
    private let baseEntries: [[UInt8]: BackupIndexEntry]
    private let baseHasIndex: Bool?
    private let rehash: Bool
    private let homeDescriptor: Int32
    private var reusedPaths = Set<[UInt8]>()

    init(base: BaseArchive?, rehash: Bool, homeDescriptor: Int32) {
        var baseEntries: [[UInt8]: BackupIndexEntry] = [:]
        if let base {
            baseEntries.reserveCapacity(base.entries.count)
            for entry in base.entries { baseEntries[entry.path] = entry }
        }
        self.baseEntries = baseEntries
        self.baseHasIndex = base?.hasIndex
        self.rehash = rehash
        self.homeDescriptor = homeDescriptor
    }

    /// Takes the walk's next entries; returns those the tar archives, with their stamps. With a
    /// base, files whose change cannot be ruled out by their `lstat` are read and hashed
    /// (`--rehash`, or a base without an index).
    ///
    /// Blocking (reads files): run it on `BlockingExecutor.shared`.
    mutating func select(_ entries: [TarEntry], stamps: [FileStamp]) throws -> (entries: [TarEntry], stamps: [FileStamp]) {
        var kept: [TarEntry] = []
        var keptStamps: [FileStamp] = []
        kept.reserveCapacity(entries.count)
        keptStamps.reserveCapacity(entries.count)
        for (offset, entry) in entries.enumerated() {
            if offset % 256 == 255 { try Interruption.checkpoint() }
            let index = walked.count
            let stamp = offset < stamps.count ? stamps[offset] : FileStamp()
            var keep = true
            if let baseHasIndex, entry.kind == .regular {
                let current = Self.record(entry, stamp)
                switch ChangeDetection.decide(current: current, base: baseEntries[entry.path], baseHasIndex: baseHasIndex, rehash: rehash) {
                case .changed:
                    break
                case .unchanged:
                    keep = false
                case .compareDigest(let expected):
                    keep = Self.digest(of: entry.path, stamp: stamp, home: homeDescriptor) != expected
                }
                if !keep, let previous = baseEntries[entry.path], let digest = previous.sha256, let archive = previous.archive {
                    reused[index] = (digest, archive)
                    reusedPaths.insert(entry.path)
                } else {
                    keep = true
                }
            }
            // A hard link to a file left out would name a member this tar does not have.
            if entry.kind == .hardLink, reusedPaths.contains(entry.linkTarget) { keep = false }
            walked.append(entry)
            walkedStamps.append(stamp)
            if keep {
                layoutIndex.append(memberCount)
                memberCount += 1
                kept.append(entry)
                keptStamps.append(stamp)
                if entry.kind == .regular {
                    fileCount += 1
                    fileBytes += entry.size
                }
            } else {
                layoutIndex.append(nil)
            }
        }
        // Stamps only when the walk gave them: a layout without stamps checks files by mtime.
        return (kept, stamps.count == entries.count ? keptStamps : [])
    }

    /// The index member's content, once the data is written: `digests` are the tar members'
    /// SHA-256 (by member index), `archive` this archive's data checksum.
    func encodedIndex(digests: [Int: [UInt8]], archive: String) -> [UInt8] {
        var out = BackupIndexCodec.header(entries: walked.count)
        out.reserveCapacity(walked.count * 260)
        let emptyDigest = Array(SHA256.hash(data: [UInt8]()))
        for (index, entry) in walked.enumerated() {
            var record = Self.record(entry, walkedStamps[index])
            if entry.kind == .regular {
                if let (digest, holder) = reused[index] {
                    record.sha256 = digest
                    record.archive = holder
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
