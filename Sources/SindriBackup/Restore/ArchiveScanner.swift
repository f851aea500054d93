import CSindriSystem
import Crypto
import Foundation
import SindriArchive
import SindriCodecs
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// One member of an archive after validation, with its path made safe.
struct ScannedMember: Sendable {
    var path: [UInt8]
    var kind: TarEntryKind
    /// Permission bits with setuid and setgid removed.
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: UInt64
    var modificationTime: Int64
    /// Symlink target as stored; for hard links, the normalized path of the earlier member.
    var linkTarget: [UInt8]
    /// SHA256 of the content (regular files).
    var digest: [UInt8]?
    /// The file holding the content in the staging directory, when staged.
    var stagingName: String?
    /// The content itself, kept for shell configs (small, and merged rather than copied).
    var inlineContent: [UInt8]?
}

/// Everything stage 1 learned: the manifest, the validated members and the checks made.
struct ScannedArchive: Sendable {
    var manifest: BackupManifest
    var members: [ScannedMember]
    var report: VerificationReport
    /// The tree the archive recorded (`.sindri/backup-index.jsonl`); nil for older archives.
    var index: [BackupIndexEntry]? = nil
}

/// Stage 1 of a restore, and all of `verify`: reads the whole archive once and checks it.
///
/// The gzip stream is inflated to its end (CRC32 and ISIZE of every member, no trailing
/// garbage), the tar structure is parsed strictly, the manifest must be the first member and
/// parse, every file's SHA256 must match the archive's checksum list and the data members'
/// SHA256 the manifest's checksum. Members are checked for safety (absolute names, `..`, links
/// that could carry writes elsewhere, devices) and the whole archive is refused at the first
/// construct our own writer never emits. When a staging directory is given, file contents are
/// written there as they stream by (that is the only place stage 1 writes), so restoring needs
/// no second read of the archive; stdin works the same way.
final class ArchiveScanner {
    private let staging: StagingArea?
    private let availableBytes: UInt64?
    private let force: Bool
    private var notes: [String] = []

    // Stream state.
    private var reader = TarReader()
    private var members: [ScannedMember] = []
    private var pathIndex: [[UInt8]: Int] = [:]
    /// Every directory some accepted member lies below (named by a member or not).
    private var impliedDirectories: Set<[UInt8]> = []
    private var manifest: BackupManifest?
    private var manifestBytes: [UInt8] = []
    private var checksumBytes: [UInt8] = []
    private var summaryBytes: [UInt8] = []
    private var sawChecksums = false
    private var sawSummary = false
    private var current: Current = .none
    /// Hashing and staging of file contents happen on these threads.
    private let lanes: StagingLanes
    /// The lane of the file being read, and this delivery's work for each lane.
    private var currentLane = 0
    private var laneBatches: [StagingLanes.Batch?] = []
    /// The bytes being parsed, and the immutable array holding them.
    private var deliveredBytes: UnsafeRawBufferPointer?
    private var deliveredArray: [UInt8]?
    private var declaredBytes: UInt64 = 0
    private var memberCount = 0
    /// The archive's name for messages (set by `scan`).
    private var archiveName = ""

    /// The trailing index member, collected and checked apart from the files.
    private var index = IndexMemberCollector()
    /// Appended to staging names, so that the archives of a chain stage into one area.
    var stagingSuffix = ""
    /// When set (a base of a chain), only these regular files are staged: the others are still
    /// hashed and checked against the checksum list, but the newest index takes their content
    /// from a newer archive (or they were deleted), so writing them would only be undone.
    var stagedPaths: Set<[UInt8]>?
    /// False: the index member is hashed and checked, not decoded (see `IndexMemberCollector`).
    var decodesIndex: Bool {
        get { index.decodes }
        set { index.decodes = newValue }
    }

    /// Called once per inflated gzip member (after the manifest) with the file content read so far.
    var progress: (@Sendable (RestoreProgress) -> Void)?
    private var contentBytesDone: UInt64 = 0
    private var filesDone = 0
    private var currentPath: [UInt8] = []

    private enum Current { case none, manifest, checksums, summary, index, file(Int), other }

    /// SHA256 of the data members' compressed bytes (what the manifest checksum covers).
    private var dataChecksum: String?

    init(staging: StagingArea?, availableBytes: UInt64?, force: Bool) {
        self.staging = staging
        self.availableBytes = availableBytes
        self.force = force
        lanes = StagingLanes(staging: staging)
        laneBatches = Array(repeating: nil, count: lanes.count)
    }

    /// Reads `descriptor` to its end and returns the validated archive; throws a `SindriError`
    /// naming the first problem, or `CancellationError` within one inflated member of a stop
    /// request (SIGINT/SIGTERM).
    ///
    /// Reads block: the caller runs it on the engine's thread (`BlockingExecutor.shared`), never
    /// on the cooperative pool. Inflating and staging run in bounded pipelines beside it; any
    /// failure or stop cancels them and waits until none runs before it is thrown.
    func scan(_ source: any ArchiveByteSource) async throws -> ScannedArchive {
        let name = source.name
        archiveName = name
        let inflater = ArchiveInflater(source: source)
        let inflated: ArchiveInflater.Summary
        do {
            inflated = try await inflater.run { output in
                // Once per inflated member (1 MiB of tar for our archives): a signal stops the scan here.
                try Interruption.checkpoint()
                // Content slices point into `output`; the lanes keep its (immutable) array alive.
                deliveredArray = output
                try output.withUnsafeBytes { raw in
                    deliveredBytes = raw
                    defer { deliveredBytes = nil }
                    try reader.consume(raw) { event in try handle(event) }
                }
                try await submitLaneBatches()
                if let failure = lanes.firstFailure() { throw failure }
                if let progress, let manifest {
                    progress(RestoreProgress(
                        filesDone: filesDone, filesTotal: manifest.statistics.filesIncluded,
                        bytesDone: contentBytesDone, bytesTotal: manifest.statistics.totalSizeBytes, currentPath: currentPath))
                }
                if manifest != nil { TestPause.here("read") }
            }
            try reader.finish()
            try await submitLaneBatches()
        } catch let error as TarFormatError {
            await lanes.cancel()
            throw archiveError("the tar structure is damaged: \(error)", name)
        } catch let error as ChecksumList.FormatError {
            await lanes.cancel()
            throw archiveError("\(error)", name)
        } catch {
            await lanes.cancel()
            throw error
        }
        dataChecksum = inflated.dataChecksum
        let digests: [Int: [UInt8]]
        do {
            try Interruption.checkpoint()
            digests = try await lanes.finish()
        } catch {
            await lanes.cancel()
            throw error
        }
        for (index, digest) in digests { members[index].digest = digest }
        guard let manifest else { throw archiveError("the archive has no \(MANIFEST_FILENAME) as its first member", name) }
        let checked = try verifyChecksums(name)
        let archiveChecksum = try verifyArchiveChecksum(manifest, name)
        let regular = members.filter { $0.kind == .regular }
        let report = VerificationReport(
            manifest: manifest, members: memberCount, regularFiles: regular.count,
            contentBytes: regular.reduce(0) { $0 + $1.size }, compressedBytes: UInt64(inflated.compressedBytes),
            gzipMembers: inflated.gzipMembers, checkedChecksums: checked, archiveChecksumVerified: archiveChecksum, notes: notes)
        return ScannedArchive(manifest: manifest, members: members, report: report, index: index.entries)
    }

    private func archiveError(_ message: String, _ name: String) -> SindriError {
        SindriError(.archiveCorrupt, "\(name): \(message)", path: name)
    }

    private func unsafe(_ message: String, _ path: [UInt8]) -> SindriError {
        SindriError(.unsafeArchive, "unsafe archive refused: \(PathBytes.display(path)): \(message)", path: PathBytes.display(path))
    }

    // MARK: - Tar events

    private func handle(_ event: TarEvent) throws {
        switch event {
        case .entry(let member):
            memberCount += 1
            try begin(member.entry, first: memberCount == 1)
        case .content(let slice):
            switch current {
            case .manifest: try append(slice, to: &manifestBytes, limit: 1 << 20, what: "manifest")
            case .checksums: try append(slice, to: &checksumBytes, limit: 1 << 30, what: "checksum list")
            case .summary: try append(slice, to: &summaryBytes, limit: 1 << 20, what: "summary")
            case .index: try index.consume(slice, archive: archiveName)
            case .file(let index):
                guard slice.count > 0 else { return }
                contentBytesDone += UInt64(slice.count)
                if members[index].inlineContent != nil { members[index].inlineContent!.append(contentsOf: slice) }
                let start = slice.baseAddress! - deliveredBytes!.baseAddress!
                appendLaneWork(.content(start: start, count: slice.count), bytes: slice.count)
            case .none, .other: break
            }
        case .endOfEntry:
            try end()
        case .endOfArchive:
            break
        }
    }

    private func append(_ slice: UnsafeRawBufferPointer, to buffer: inout [UInt8], limit: Int, what: String) throws {
        guard buffer.count + slice.count <= limit else {
            throw archiveError("the archive's \(what) is implausibly large", archiveName)
        }
        buffer.append(contentsOf: slice)
    }

    private func begin(_ entry: TarEntry, first: Bool) throws {
        if first {
            guard entry.path == Array(MANIFEST_FILENAME.utf8), entry.kind == .regular else {
                throw archiveError("the archive has no \(MANIFEST_FILENAME) as its first member", archiveName)
            }
            current = .manifest
            return
        }
        if manifest == nil { try parseManifest() }
        if entry.path == Array(CHECKSUMS_FILENAME.utf8), entry.kind == .regular {
            guard !sawChecksums else { throw unsafe("duplicate member", entry.path) }
            sawChecksums = true
            current = .checksums
            return
        }
        if entry.path == Array(SUMMARY_FILENAME.utf8), entry.kind == .regular {
            sawSummary = true
            current = .summary
            return
        }
        if IndexMemberCollector.isIndex(entry) {
            guard !sawChecksums, index.begin() else { throw unsafe("duplicate member", entry.path) }
            current = .index
            return
        }
        if sawChecksums { throw unsafe("member after the checksum list", entry.path) }
        let path: [UInt8]
        switch MemberPath.normalize(entry.path) {
        case .root:
            current = .other
            return
        case .unsafe(let why): throw unsafe(why, entry.path)
        case .path(let normalized): path = normalized
        }
        guard pathIndex[path] == nil else { throw unsafe("duplicate member", path) }
        // Nothing may be written below something that is not a directory of this archive
        // (a symlink member followed by a member "through" it, a file used as a directory).
        for ancestor in MemberPath.ancestors(path) {
            if let index = pathIndex[ancestor], members[index].kind != .directory {
                throw unsafe("lies below the non-directory member \(PathBytes.display(ancestor))", path)
            }
        }
        // Nor may a non-directory come after members below its path (a symlink or file that
        // would have to replace the directory holding them).
        if entry.kind != .directory, impliedDirectories.contains(path) {
            throw unsafe("a non-directory member over earlier members below it", path)
        }
        var scanned = ScannedMember(
            path: path, kind: entry.kind, mode: entry.mode & 0o1777, uid: entry.uid, gid: entry.gid,
            size: entry.size, modificationTime: entry.modificationTime, linkTarget: entry.linkTarget)
        if entry.mode & 0o6000 != 0 { notes.append("\(PathBytes.display(path)): setuid/setgid bits stripped") }
        switch entry.kind {
        case .regular:
            declaredBytes += entry.size
            if let availableBytes, !force, declaredBytes > availableBytes {
                throw SindriError(.noSpace, "the archive declares \(SindriError.size(declaredBytes)) of files, more than the \(SindriError.size(availableBytes)) free on the home's filesystem (--force skips this check)")
            }
            if ShellConfigMerger.mergedNames.contains(path), entry.size <= 1 << 20 { scanned.inlineContent = [] }
            currentLane = lanes.leastBusyLane()
            if staging != nil, stagedPaths?.contains(path) ?? true {
                scanned.stagingName = StagingArea.laneFileName(lane: currentLane, member: members.count) + stagingSuffix
            }
            lanes.assign(entry.size, to: currentLane)
            appendLaneWork(.begin(member: members.count, stagingName: scanned.stagingName, attributes: .init(
                path: path, mode: scanned.mode, uid: entry.uid, gid: entry.gid, size: entry.size, modificationTime: entry.modificationTime)), bytes: 0)
            current = .file(members.count)
        case .directory, .symbolicLink:
            current = .other
        case .hardLink:
            guard case .path(let target) = MemberPath.normalize(entry.linkTarget),
                  let targetIndex = pathIndex[target], members[targetIndex].kind == .regular else {
                throw unsafe("hard link to something that is not an earlier file of the archive (\(PathBytes.display(entry.linkTarget)))", path)
            }
            scanned.linkTarget = target
            current = .other
        case .characterDevice, .blockDevice:
            throw unsafe("device node", path)
        case .fifo:
            // Our writer archives FIFOs; a FIFO is a name, not a way out of the home (it is
            // created with mkfifo in the staging area and renamed into place like a file).
            current = .other
        case .other(let flag):
            throw unsafe("unsupported member type '\(Character(Unicode.Scalar(flag)))'", path)
        }
        pathIndex[path] = members.count
        // Ancestors are recorded whole, so the walk up stops at the first one already known.
        var ancestor = MemberPath.parent(path)
        while !ancestor.isEmpty, impliedDirectories.insert(ancestor).inserted { ancestor = MemberPath.parent(ancestor) }
        currentPath = path
        members.append(scanned)
    }

    private func end() throws {
        switch current {
        case .manifest:
            try parseManifest()
        case .file:
            filesDone += 1
            appendLaneWork(.end, bytes: 0)
        case .index:
            try index.finish(archive: archiveName)
        case .none, .other, .checksums, .summary:
            break
        }
        current = .none
    }

    private func parseManifest() throws {
        guard manifest == nil else { return }
        do {
            manifest = try BackupManifest.decode(manifestBytes)
        } catch {
            throw SindriError(.archiveCorrupt, "\(archiveName): \(error)", path: archiveName)
        }
        guard ManifestVersion(manifest!.version) != nil else {
            throw SindriError(.archiveCorrupt, "unknown manifest format version '\(manifest!.version)'")
        }
        if let availableBytes, !force {
            let needed = manifest!.statistics.totalSizeBytes.multipliedReportingOverflow(by: 2)
            if needed.overflow || needed.partialValue > availableBytes {
                throw SindriError(.noSpace, "not enough free space on the home's filesystem: the backup holds \(SindriError.size(manifest!.statistics.totalSizeBytes)), twice that is recommended, \(SindriError.size(availableBytes)) are free (--force skips this check)")
            }
        }
    }

    // MARK: - Lanes

    private func appendLaneWork(_ work: StagingLanes.Work, bytes: Int) {
        if laneBatches[currentLane] == nil {
            laneBatches[currentLane] = StagingLanes.Batch(buffer: deliveredArray ?? [])
        }
        laneBatches[currentLane]!.work.append(work)
        laneBatches[currentLane]!.bytes += bytes
    }

    /// Hands each lane its work from the delivery just parsed (one batch per lane per delivery).
    private func submitLaneBatches() async throws {
        for index in laneBatches.indices {
            if let batch = laneBatches[index] {
                laneBatches[index] = nil
                try await lanes.submit(batch, to: index)
            }
        }
        deliveredArray = nil
    }

    // MARK: - Checksums

    private func verifyChecksums(_ name: String) throws -> Int {
        guard sawChecksums else {
            notes.append("the archive carries no per-file checksums (made by an older tool); relying on the gzip CRC32 of each member")
            return 0
        }
        let list = try ChecksumList.decode(checksumBytes)
        var expected: [[UInt8]: [UInt8]] = [:]
        for line in list.lines {
            guard case .path(let path) = MemberPath.normalize(line.path) else { throw archiveError("bad path in the checksum list", name) }
            expected[path] = line.digest
        }
        try index.check(against: &expected, archive: name)
        var checked = 0
        for member in members where member.kind == .regular {
            guard let digest = expected.removeValue(forKey: member.path) else {
                throw SindriError(.verificationFailed, "\(name): \(PathBytes.display(member.path)) has no recorded checksum", path: name)
            }
            guard digest == member.digest else {
                throw SindriError(.verificationFailed, "\(name): checksum mismatch for \(PathBytes.display(member.path)): the content differs from what was backed up", path: name)
            }
            checked += 1
        }
        if let missing = expected.keys.first {
            throw SindriError(.verificationFailed, "\(name): \(PathBytes.display(missing)) is listed in the checksums but missing from the archive", path: name)
        }
        return checked
    }

    private func verifyArchiveChecksum(_ manifest: BackupManifest, _ name: String) throws -> Bool {
        var expected: String?
        if manifest.checksum.isRealSHA256 {
            expected = manifest.checksum.value
        } else if sawSummary, let summary = try? JSONDecoder().decode(BackupSummary.self, from: Data(summaryBytes)) {
            expected = summary.dataChecksum
        }
        guard let expected else {
            if manifest.checksum.value != ManifestChecksum.pendingValue {
                throw archiveError("the manifest's checksum is neither a SHA256 nor 'pending'", name)
            }
            notes.append("the manifest carries no archive checksum ('pending')")
            return false
        }
        guard let actual = dataChecksum else {
            throw SindriError(.verificationFailed, "\(name): the archive's data members are not in the framing its checksum was made over", path: name)
        }
        guard actual == expected else {
            throw SindriError(.verificationFailed, "\(name): archive checksum mismatch (manifest \(expected.prefix(12))..., data \(actual.prefix(12))...)", path: name)
        }
        return true
    }
}

