import Foundation
import SindriArchive
import SindriSystem

/// What `sindri backup --dry-run --incremental` reports: the base the real run would choose and
/// what the incremental would hold against it. Computed by the same change detection as the
/// real run (`TreeIndexBuilder`), from the base's index and the walk; nothing is written.
public struct IncrementalPreview: Sendable {
    /// The base's file name and creation time; nil when the real run would make a full backup.
    public var base: BackupBase?
    /// Why a full backup would be made instead (no earlier backup, an unreadable newest one).
    public var note: String?
    /// Regular files whose content the incremental would hold, and their bytes.
    public var filesArchived: Int
    public var bytesArchived: UInt64
    /// Of those: files the base does not have (`added`) and files it has with other content or
    /// attributes (`changed`).
    public var filesAdded: Int
    public var filesChanged: Int
    /// Files taken from the base's chain without being archived again.
    public var filesUnchanged: Int
    /// Paths of the base's tree (of any kind) that are gone.
    public var deleted: Int
    /// Tar members the incremental would hold (every directory and symlink, the changed files).
    public var members: Int
}

extension ArchiveBuilder {
    /// The incremental a real run would make from `walk`, or nil when no incremental was asked
    /// for. Reads the base's index (and with `--rehash` the home's files); writes nothing.
    func incrementalPreview(walk: WalkResult, output: BackupOutput, source: SourceInfo, homeDescriptor: Int32) async throws -> IncrementalPreview? {
        guard config.incremental != nil else { return nil }
        let (base, note) = try await incrementalBase(output: output, source: source)
        let rehash = config.incremental?.rehash ?? false
        let (tree, archived) = try await BlockingExecutor.shared.run {
            var tree = TreeIndexBuilder(base: base, rehash: rehash, homeDescriptor: homeDescriptor)
            let archived = try tree.select(walk.entries, stamps: walk.stamps).entries
            return (tree, archived)
        }
        var baseKinds: [[UInt8]: BackupIndexEntry.Kind] = [:]
        for entry in base?.entries ?? [] { baseKinds[entry.path] = entry.kind }
        var added = 0, changed = 0
        for entry in archived where entry.kind == .regular {
            if baseKinds[entry.path] == .file { changed += 1 } else { added += 1 }
        }
        var walked = Set<[UInt8]>()
        walked.reserveCapacity(walk.entries.count)
        for entry in walk.entries { walked.insert(entry.path) }
        let deleted = (base?.entries ?? []).filter { !walked.contains($0.path) }.count
        return IncrementalPreview(
            base: base?.reference, note: note, filesArchived: tree.fileCount, bytesArchived: tree.fileBytes,
            filesAdded: added, filesChanged: changed, filesUnchanged: tree.reused.count, deleted: deleted, members: tree.memberCount)
    }
}
