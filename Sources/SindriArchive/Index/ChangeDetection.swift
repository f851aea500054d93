/// Decides whether a file can be taken from the base instead of being archived again.
///
/// As restic does it: a file is unchanged when its size, mtime (ns), ctime (ns), inode, device,
/// mode and owner all match the base's record. `rehash` (for filesystems whose ctime or inode
/// numbers cannot be trusted) compares the content's SHA-256 instead of ctime, inode and device.
/// A base made before archives carried an index only has what a tar header says (size, whole
/// seconds of mtime, mode, owner) and its checksum list: the content's SHA-256 then decides.
/// In every case the mode, owner and mtime must match too, because a restore takes the file's
/// attributes from the archive that holds its content.
public enum ChangeDetection {
    public enum Decision: Sendable, Equatable {
        case changed
        case unchanged
        /// Unchanged if the file's SHA-256 equals this one.
        case compareDigest([UInt8])
    }

    /// What to do with the file `current` (its `sha256` not yet known) given the base's record.
    public static func decide(current: BackupIndexEntry, base: BackupIndexEntry?, baseHasIndex: Bool, rehash: Bool) -> Decision {
        guard let base, base.kind == .file, current.kind == .file, let digest = base.sha256,
              current.size == base.size, current.mode == base.mode, current.uid == base.uid, current.gid == base.gid else {
            return .changed
        }
        guard baseHasIndex else {
            return current.modificationSeconds == base.modificationSeconds ? .compareDigest(digest) : .changed
        }
        guard current.modificationNanoseconds == base.modificationNanoseconds else { return .changed }
        if rehash { return .compareDigest(digest) }
        guard current.changeNanoseconds == base.changeNanoseconds, current.inode == base.inode, current.device == base.device else {
            return .changed
        }
        return .unchanged
    }
}

/// What one link of a chain changed against the link before it (for `sindri list`).
public struct IndexDiff: Sendable, Equatable {
    public var added: [[UInt8]] = []
    public var changed: [[UInt8]] = []
    public var deleted: [[UInt8]] = []

    public init() {}

    /// Compares two indexes; `old` nil means everything in `new` was added.
    public static func between(_ old: [BackupIndexEntry]?, _ new: [BackupIndexEntry]) -> IndexDiff {
        var diff = IndexDiff()
        var before: [[UInt8]: BackupIndexEntry] = [:]
        for entry in old ?? [] { before[entry.path] = entry }
        for entry in new {
            guard let previous = before.removeValue(forKey: entry.path) else {
                diff.added.append(entry.path)
                continue
            }
            if differs(previous, entry) { diff.changed.append(entry.path) }
        }
        let gone = Set(before.keys)
        diff.deleted = (old ?? []).map(\.path).filter { gone.contains($0) }
        return diff
    }

    /// A directory's mtime changes whenever a child comes or goes: that alone is not a change.
    static func differs(_ a: BackupIndexEntry, _ b: BackupIndexEntry) -> Bool {
        if a.kind != b.kind || a.mode != b.mode || a.uid != b.uid || a.gid != b.gid || a.linkTarget != b.linkTarget { return true }
        if a.kind == .directory { return false }
        return a.size != b.size || a.sha256 != b.sha256 || a.modificationNanoseconds != b.modificationNanoseconds
    }
}

/// The tree a chain restores: the newest index, each file paired with the link of the chain
/// whose tar holds its content. Files deleted before the newest backup are not in it.
public struct ChainFinalState: Sendable {
    public struct Item: Sendable {
        public var entry: BackupIndexEntry
        /// Position in the chain (0 = newest) of the archive holding a file's content.
        public var holder: Int?
    }

    public var items: [Item]

    /// - Parameters:
    ///   - newest: the newest archive's index.
    ///   - chain: the data checksums of the chain's archives, newest first.
    /// - Throws: `BackupIndexError` when a file's content is in no archive of the chain, or a
    ///   path repeats.
    public init(newest: [BackupIndexEntry], chain: [String]) throws {
        var position: [String: Int] = [:]
        for (index, checksum) in chain.enumerated() where position[checksum] == nil { position[checksum] = index }
        var seen = Set<[UInt8]>()
        items = []
        items.reserveCapacity(newest.count)
        for entry in newest {
            guard seen.insert(entry.path).inserted else {
                throw BackupIndexError("the index names \(PathBytes.display(entry.path)) twice")
            }
            var holder: Int?
            if entry.kind == .file {
                guard let archive = entry.archive, let found = position[archive] else {
                    throw BackupIndexError("the content of \(PathBytes.display(entry.path)) is in an archive that is not part of the chain (\(entry.archive?.prefix(12) ?? "none")...)")
                }
                holder = found
            }
            items.append(Item(entry: entry, holder: holder))
        }
    }
}
