import Foundation
import SindriArchive
import SindriSystem
#if canImport(Glibc)
import Glibc
#endif

/// Stage 1 for an incremental archive: finds every base of its chain, checks each archive
/// completely (the same scan as any restore, staging contents into the one staging area), and
/// turns the chain into one validated archive: the tree of the newest index, each file taken
/// from the newest archive that holds it. A base stages only the files the newest index takes
/// from it; its other files are checked like every member but never written. Planner,
/// snapshot, journal and applier then run once, on that one archive, as for a full backup.
///
/// Blocking: runs on the restore's thread (`BlockingExecutor`).
struct ChainScanner {
    let sources: ChainSources
    let access: ArchiveAccess
    /// The newest archive's name as given (`-` reads standard input).
    let newestName: String
    let staging: StagingArea?
    let availableBytes: UInt64?
    let force: Bool
    let progress: (@Sendable (RestoreProgress) -> Void)?

    /// Longest chain followed (a loop of bases would otherwise never end).
    static let maximumLength = 10_000

    /// One archive of a chain, newest first.
    struct Link {
        var name: String
        var scanned: ScannedArchive
    }

    func scan(newest: ScannedArchive) async throws -> ScannedArchive {
        let links = try await scanLinks(newest: newest)
        return try Self.combine(links)
    }

    /// Finds and scans every base, newest first. Nothing in the home is touched: a base that is
    /// missing or damaged fails here, naming it.
    func scanLinks(newest: ScannedArchive) async throws -> [Link] {
        var links = [Link(name: newestName, scanned: newest)]
        var seen: Set<String> = [newest.manifest.checksum.value]
        // What each base must stage: the files the newest index takes from it, by its checksum.
        var taken: [String: Set<[UInt8]>] = [:]
        for entry in newest.index ?? [] where entry.kind == .file {
            if let archive = entry.archive { taken[archive, default: []].insert(entry.path) }
        }
        var directories = sources.directories
        if newestName != "-" { directories.append(BaseFinder.container(of: newestName)) }
        // Bases are looked up in local directories and S3 prefixes alike.
        let finder = BaseFinder(access: access.remote, keys: access.decryption)
        while let base = links.last!.scanned.manifest.base {
            try Interruption.checkpoint()
            let child = links.last!.name
            guard links.count < Self.maximumLength, seen.insert(base.checksum).inserted else {
                throw SindriError(.verificationFailed, "\(child): the chain of bases loops back on itself at \(base.fileName)", path: child)
            }
            guard let path = try finder.find(checksum: base.checksum, candidates: sources.archives, places: directories, preferredName: base.fileName) else {
                throw Self.missing(base, child: child, directories: directories)
            }
            let source = try ArchiveSources.open(path, access: access)
            let name = source.name
            let scanner = ArchiveScanner(staging: staging, availableBytes: availableBytes, force: force)
            scanner.stagingSuffix = "-c\(links.count)"
            if staging != nil {
                // A restore: the base's index and the files newer links replaced are checked, not used.
                scanner.stagedPaths = taken[base.checksum] ?? []
                scanner.decodesIndex = false
            }
            scanner.progress = progress
            let scanned = try await scanner.scan(source)
            // Found by its manifest's checksum, which the scan just checked against its data.
            guard scanned.manifest.checksum.value == base.checksum, scanned.report.archiveChecksumVerified else {
                throw SindriError(.verificationFailed, "\(name) is not the base \(child) was made against (its checksum differs)", path: name)
            }
            links.append(Link(name: name, scanned: scanned))
        }
        return links
    }

    /// Follows the chain of a local incremental through its bases' manifests (the first gzip
    /// member of each) before anything is written: a missing link is refused before the home is
    /// locked or a single file staged. Damage inside a base is found by the scan, which removes
    /// what it staged. Anything but a local sindri archive is left to the scan.
    static func requireBases(of path: String, sources: ChainSources) throws {
        guard path != "-", var manifest = (try? BaseArchiveReader.head(path))?.manifest else { return }
        let directories = sources.directories + [URL(fileURLWithPath: path).deletingLastPathComponent().path]
        var child = path
        var seen: Set<String> = [manifest.checksum.value]
        while let base = manifest.base, seen.insert(base.checksum).inserted, seen.count <= maximumLength {
            try Interruption.checkpoint()
            guard let found = BackupLocator.find(checksum: base.checksum, candidates: sources.archives, directories: directories) else {
                throw missing(base, child: child, directories: directories)
            }
            guard let next = (try? BaseArchiveReader.head(found))?.manifest else { return }
            manifest = next
            child = found
        }
    }

    /// The refusal of a chain whose link `base` (named by `child`) is not found.
    static func missing(_ base: BackupBase, child: String, directories: [String]) -> SindriError {
        let places = directories.isEmpty ? "" : " in \(directories.joined(separator: ", "))"
        return SindriError(.verificationFailed, "\(child) needs its base \(base.fileName) (created \(base.createdAt), checksum \(base.checksum.prefix(12))...), which was not found\(places); name it with --base ARCHIVE or its directory with --base-dir DIR", path: base.fileName)
    }

    /// The chain as one archive: the newest index's tree, in its order.
    static func combine(_ links: [Link]) throws -> ScannedArchive {
        let newest = links[0]
        func corrupt(_ message: String) -> SindriError { SindriError(.archiveCorrupt, "\(newest.name): \(message)", path: newest.name) }
        guard let index = newest.scanned.index else { throw corrupt("an incremental archive without its \(INDEX_FILENAME)") }
        guard newest.scanned.manifest.checksum.isRealSHA256 else { throw corrupt("an incremental archive without its checksum") }
        let state: ChainFinalState
        do {
            state = try ChainFinalState(newest: index, chain: links.map(\.scanned.manifest.checksum.value))
        } catch let error as BackupIndexError {
            throw corrupt("\(error)")
        }
        let byPath = links.map { link in
            Dictionary(link.scanned.members.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { first, _ in first })
        }
        var members: [ScannedMember] = []
        members.reserveCapacity(state.items.count)
        var kinds: [[UInt8]: BackupIndexEntry.Kind] = [:]
        var used = Set<[UInt8]>()
        for item in state.items {
            let entry = item.entry
            guard case .path(let path) = MemberPath.normalize(entry.path), path == entry.path else {
                throw SindriError(.unsafeArchive, "unsafe archive refused: \(PathBytes.display(entry.path)): not a clean relative path in the index", path: newest.name)
            }
            for ancestor in MemberPath.ancestors(path) where kinds[ancestor].map({ $0 != .directory }) ?? false {
                throw SindriError(.unsafeArchive, "unsafe archive refused: \(PathBytes.display(path)): lies below the non-directory \(PathBytes.display(ancestor)) in the index", path: newest.name)
            }
            kinds[path] = entry.kind
            let inNewest = byPath[0][path].map { newest.scanned.members[$0] }
            switch entry.kind {
            case .file:
                let holder = links[item.holder!]
                guard let position = byPath[item.holder!][path], holder.scanned.members[position].kind == .regular else {
                    throw SindriError(.verificationFailed, "\(holder.name) does not hold \(PathBytes.display(path)), which \(newest.name) says it does", path: holder.name)
                }
                let member = holder.scanned.members[position]
                guard member.digest == nil || member.digest == entry.sha256, member.size == entry.size else {
                    throw SindriError(.verificationFailed, "\(holder.name): \(PathBytes.display(path)) differs from what \(newest.name) recorded", path: holder.name)
                }
                members.append(member)
                used.insert(path)
            case .hardlink:
                if let member = inNewest, member.kind == .hardLink {
                    members.append(member)
                } else {
                    guard case .path(let target) = MemberPath.normalize(entry.linkTarget), kinds[target] == .file else {
                        throw SindriError(.unsafeArchive, "unsafe archive refused: \(PathBytes.display(path)): hard link to something that is not an earlier file of the index", path: newest.name)
                    }
                    members.append(ScannedMember(
                        path: path, kind: .hardLink, mode: entry.mode & 0o1777, uid: entry.uid, gid: entry.gid, size: 0,
                        modificationTime: entry.modificationSeconds, linkTarget: target))
                }
                used.insert(path)
            case .directory, .symlink, .fifo:
                guard let member = inNewest, member.kind == entry.kind.tarKind else {
                    throw corrupt("its index and its members disagree about \(PathBytes.display(path))")
                }
                members.append(member)
                used.insert(path)
            }
        }
        // Every member of the newest archive is part of the tree its index describes.
        if let extra = newest.scanned.members.first(where: { !used.contains($0.path) }) {
            throw corrupt("\(PathBytes.display(extra.path)) is a member but not in its index")
        }
        var report = newest.scanned.report
        let regular = members.filter { $0.kind == .regular }
        report.members = members.count
        report.regularFiles = regular.count
        report.contentBytes = regular.reduce(0) { $0 + $1.size }
        report.gzipMembers = links.reduce(0) { $0 + $1.scanned.report.gzipMembers }
        report.compressedBytes = links.reduce(0) { $0 + $1.scanned.report.compressedBytes }
        report.checkedChecksums = links.reduce(0) { $0 + $1.scanned.report.checkedChecksums }
        report.archiveChecksumVerified = links.allSatisfy(\.scanned.report.archiveChecksumVerified)
        report.notes = links.flatMap(\.scanned.report.notes)
        report.chain = links.map { ChainLinkSummary(name: $0.name, manifest: $0.scanned.manifest) }
        return ScannedArchive(manifest: newest.scanned.manifest, members: members, report: report, index: index)
    }
}

/// One archive of a verified chain, for reports (newest first).
public struct ChainLinkSummary: Sendable {
    public var name: String
    public var manifest: BackupManifest
}
