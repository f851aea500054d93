import Foundation
import SindriArchive
import SindriSystem

/// One archive of a chain as `sindri list` shows it: what it changed against the link before.
public struct ChainLinkDescription: Sendable {
    public var path: String
    public var manifest: BackupManifest
    /// Entries of the tree it recorded.
    public var entries: Int
    /// Against the previous (older) link; for the full backup, everything is added.
    public var diff: IndexDiff
}

/// Reads a chain's indexes (not its data) to say what each link added, changed and deleted.
public enum ChainInspector {
    /// The links of the chain ending at `path`, oldest first.
    ///
    /// - Throws: `SindriError` naming a base that cannot be found or read.
    /// `access` reaches the links kept on S3; encrypted links are read with `keys`.
    public static func describe(
        _ path: String, sources: ChainSources = ChainSources(), access: RemoteAccess = RemoteAccess(),
        keys: ArchiveDecryptionKeys = ArchiveDecryptionKeys()
    ) throws -> [ChainLinkDescription] {
        let finder = BaseFinder(access: access, keys: keys)
        var newestFirst: [BaseArchive] = [try finder.read(path)]
        let directories = sources.directories + [BaseFinder.container(of: path)]
        var seen: Set<String> = [newestFirst[0].manifest.checksum.value]
        while let base = newestFirst.last!.manifest.base {
            try Interruption.checkpoint()
            guard seen.insert(base.checksum).inserted, newestFirst.count < ChainScanner.maximumLength else { break }
            guard let found = try finder.find(checksum: base.checksum, candidates: sources.archives, places: directories, preferredName: base.fileName) else {
                throw SindriError(.verificationFailed, "\(newestFirst.last!.path) needs its base \(base.fileName) (created \(base.createdAt)), which was not found; name it with --base ARCHIVE or its directory with --base-dir DIR", path: base.fileName)
            }
            newestFirst.append(try finder.read(found))
        }
        let links = Array(newestFirst.reversed())
        var previous: [BackupIndexEntry]?
        var result: [ChainLinkDescription] = []
        for link in links {
            result.append(ChainLinkDescription(path: link.path, manifest: link.manifest, entries: link.entries.count,
                                               diff: IndexDiff.between(previous, link.entries)))
            previous = link.entries
        }
        return result
    }
}
