import CSindriSystem
import Crypto
import Foundation
import SindriArchive
import SindriCodecs
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// Creates backup archives: the library entry point behind `sindri backup`.
///
/// The pipeline: the directory walk (on a dedicated thread) fixes the member list; `TarLayout`
/// fixes each member's place in the tar stream; worker tasks build and compress 1 MiB blocks
/// in parallel (reading and hashing the files they cover); one ordered writer appends the
/// compressed members in order on a dedicated I/O thread. At most `3 x workers` blocks are in
/// flight, so memory stays flat whatever the workspace holds.
public struct ArchiveBuilder: Sendable {
    public let config: ArchiveConfig

    public init(_ config: ArchiveConfig) { self.config = config }
    public init(config: ArchiveConfig) { self.config = config }

    /// The version string recorded as `created_by`.
    public static let toolVersion = "sindri-backup v0.1.0"

    /// Walks the home and returns what a backup would archive, writing nothing (`--dry-run`).
    public func plan(home: String) async throws -> WalkResult {
        let homeDescriptor = try Self.openHome(home)
        defer { close(homeDescriptor) }
        let selection = BackupSelection(profile: config.profile, userRules: try config.exclusions.rules())
        let walker = DirectoryWalker(homeDescriptor: homeDescriptor, selection: selection, options: config.exclusions.walk, excludedFiles: [])
        return try await BlockingExecutor.shared.run { try walker.walk() }
    }

    /// Backs up `home` into `archive` (the library's documented signature).
    public func create(_ home: String, _ archive: String) async throws -> BackupResult {
        try await create(home: home, output: .file(archive))
    }

    /// Backs up `home` to `output`. A failed or cancelled backup removes its temporary file and
    /// leaves the output path as it was.
    public func create(
        home: String, output: BackupOutput, progress: (@Sendable (BackupProgress) -> Void)? = nil
    ) async throws -> BackupResult {
        let started = Date()
        var phases = PhaseTimer(enabled: ProcessInfo.processInfo.environment["SINDRI_TRACE_PHASES"] != nil)
        let homeDescriptor = try Self.openHome(home)
        defer { close(homeDescriptor) }
        let selection = BackupSelection(profile: config.profile, userRules: try config.exclusions.rules())
        let source = config.source ?? SourceDetector.source(home: home)
        var (base, baseNote) = try await locateBase(output: output, source: source)
        phases.mark("locate base")
        if let base, base.isEncrypted, config.encryption == nil {
            // A plain incremental would hold, readable by anyone, the paths and changed files
            // of a tree its user chose to encrypt.
            throw SindriError(.invalidArgument, "the base \(base.path) is encrypted, so the incremental must be too: give --recipient, --recipients-file or --passphrase")
        }
        while true {
            let archive = try await ArchiveSinks.open(
                for: output, instanceName: source.instanceName, date: started, incremental: base != nil, encryption: config.encryption)
            do {
                var result = try await write(
                    home: home, homeDescriptor: homeDescriptor, selection: selection, source: source,
                    archive: archive, started: started, base: base, progress: progress, phases: &phases)
                phases.report()
                if let baseNote { result.notes.insert(baseNote, at: 0) }
                return result
            } catch {
                // On the I/O thread, where a sink may wait (an upload's abort is a network call that
                // must finish before the process exits).
                _ = try? await BlockingExecutor.shared.run { archive.abort() }
                // The backup found as base cannot be read past its manifest: a full backup, as
                // when there is none (nothing of the aborted attempt remains).
                guard let unusable = error as? UnusableBase, base != nil else { throw error }
                (base, baseNote) = (nil, unusable.note)
            }
        }
    }

    private func write(
        home: String, homeDescriptor: Int32, selection: BackupSelection, source: SourceInfo,
        archive: any ArchiveSink, started: Date, base baseChoice: BaseChoice?, progress: (@Sendable (BackupProgress) -> Void)?,
        phases: inout PhaseTimer
    ) async throws -> BackupResult {
        let io = BlockingExecutor.shared
        // 1. Walk (never archiving the archive: not the temporary file, nor an old archive or sidecar at the path).
        var excluded = Self.outputIdentities(finalPath: archive.location)
        if let identity = archive.identity { excluded.insert(identity) }
        let walker = DirectoryWalker(homeDescriptor: homeDescriptor, selection: selection, options: config.exclusions.walk, excludedFiles: excluded)
        // The base's index is read meanwhile, on another thread (see `BaseChoice.archive()`).
        async let baseRead = baseChoice?.archive()
        let walk = try await BlockingExecutor.shared.run { try walker.walk() }
        try Task.checkCancellation()
        phases.mark("walk")
        let base = try await baseRead
        phases.mark("base index")
        // What goes into the tar: everything, or (incremental) what changed since the base.
        let rehash = config.incremental?.rehash ?? false
        let tree = try await io.run { try TreeIndexBuilder(walk: walk, base: base, rehash: rehash, homeDescriptor: homeDescriptor) }
        phases.mark("compare")
        // An upper bound of the archive's size (stored blocks add a little to incompressible data),
        // for sinks that plan ahead (the part size of an upload).
        archive.expectSize(tree.fileBytes + tree.fileBytes / 64 + UInt64(tree.entries.count) * 1536 + (16 << 20))

        // 2. The manifest member: fixed size, rewritten in place with the final figures.
        let extensions = SourceDetector.extensions(home: home)
        let manifestWriter = ManifestMember(
            createdAt: started, source: source, profile: config.profile, extensions: extensions,
            filesIncluded: tree.fileCount, totalBytes: tree.fileBytes, base: base?.reference)
        let placeholder = try manifestWriter.encodedMember(checksum: ManifestChecksum(value: ManifestChecksum.pendingValue), compressedSize: 0, duration: 0)
        try await io.run { try archive.write(placeholder, isData: false) }

        // 3. Data members, built and compressed in parallel, written in order.
        let layout = TarLayout(entries: tree.entries)
        let descriptors = SharedDescriptors()
        defer { descriptors.closeAll() }
        let builder = BlockBuilder(layout: layout, homeDescriptor: homeDescriptor, blockSize: config.blockSize,
                                   stamps: tree.stamps, descriptors: descriptors)
        let pool = try CompressorPool(level: config.compressionLevel, engine: config.engine, count: config.workers)
        var tracker = ArchiveTracker(layout: layout)
        let blockCount = builder.blockCount
        let window = max(2, config.workers * 3)
        let totalFiles = tree.fileCount
        let totalBytes = tree.fileBytes
        let warningBase = walk.warnings.count
        try await withThrowingTaskGroup(of: (RawBlock, [UInt8]).self) { group in
            var launched = 0
            func launch() {
                let index = launched
                launched += 1
                group.addTask {
                    try Task.checkCancellation()
                    let raw = builder.build(index)
                    let member = try raw.bytes.withUnsafeBytes { try pool.compress($0, kind: .data) }
                    return (raw, member)
                }
            }
            while launched < min(blockCount, window) { launch() }
            var pending: [Int: (RawBlock, [UInt8])] = [:]
            var nextToWrite = 0
            while let finished = try await group.next() {
                pending[finished.0.index] = finished
                while let (raw, member) = pending.removeValue(forKey: nextToWrite) {
                    tracker.absorb(raw)
                    try await io.run { try archive.write(member, isData: true) }
                    nextToWrite += 1
                    if launched < blockCount { launch() }
                    if let progress {
                        progress(BackupProgress(
                            filesDone: tracker.filesDone, filesTotal: totalFiles, bytesDone: tracker.bytesDone,
                            bytesTotal: totalBytes, compressedBytes: archive.bytesWritten,
                            currentPath: tracker.currentPath, warnings: warningBase + tracker.warnings.count))
                    }
                }
            }
        }
        try Task.checkCancellation()
        phases.mark("data")
        let dataChecksum = archive.dataChecksum()
        let warnings = walk.warnings + tracker.warnings

        // 4. Trailer: per-file checksums, (for streams) the summary, end of archive.
        let newest = walk.entries.map(\.modificationTime).max() ?? 0
        // The index comes first: a base's index is then read without inflating the checksums.
        let index = tree.encodedIndex(digests: tracker.digests, archive: dataChecksum)
        phases.mark("index")
        var checksums = tracker.checksumMember()
        ChecksumList.appendLine(path: Array(INDEX_FILENAME.utf8), digest: Array(SHA256.hash(data: index)), to: &checksums)
        var trailer = ManifestMember.fileMember(path: INDEX_FILENAME, contents: index, modificationTime: newest)
        trailer += ManifestMember.fileMember(path: CHECKSUMS_FILENAME, contents: checksums, modificationTime: newest)
        let beforeTrailer = archive.bytesWritten
        if !archive.canReplaceStart {
            let statistics = manifestWriter.statistics(compressedSize: beforeTrailer, duration: Date().timeIntervalSince(started))
            let summary = BackupSummary(dataChecksum: dataChecksum, statistics: statistics, warnings: warnings.count)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            trailer += ManifestMember.fileMember(path: SUMMARY_FILENAME, contents: Array(try encoder.encode(summary)), modificationTime: newest)
        }
        trailer += TarHeaderEncoder.endOfArchive()
        // Compressed on every worker, as the data is: the index (some 400 bytes a path) is most
        // of what an incremental writes, and one core compressing it alone was a fifth of its time.
        let trailerBytes = trailer
        let pieces = stride(from: 0, to: trailerBytes.count, by: config.blockSize).map { $0..<min($0 + config.blockSize, trailerBytes.count) }
        var next = 0
        while next < pieces.count {
            let batch = Array(pieces[next..<min(next + max(1, config.workers), pieces.count)])
            let members = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for (position, range) in batch.enumerated() {
                    group.addTask { (position, try trailerBytes[range].withUnsafeBytes { try pool.compress($0, kind: .trailer) }) }
                }
                var members = [[UInt8]](repeating: [], count: batch.count)
                for try await (position, member) in group { members[position] = member }
                return members
            }
            for member in members { try await io.run { try archive.write(member, isData: false) } }
            next += batch.count
        }

        phases.mark("trailer")
        // 5. Final manifest in place, then make it durable and visible.
        PointOfNoReturn.pass("the archive was complete when the signal arrived, and was kept")
        let duration = Date().timeIntervalSince(started)
        var manifest = manifestWriter.manifest(checksum: ManifestChecksum(value: ManifestChecksum.pendingValue), compressedSize: 0, duration: 0)
        var checksumPath: String?
        if archive.canReplaceStart {
            let size = archive.bytesWritten
            manifest = manifestWriter.manifest(checksum: ManifestChecksum(value: dataChecksum), compressedSize: size, duration: duration)
            let finalMember = try manifestWriter.encodedMember(manifest)
            precondition(finalMember.count == placeholder.count, "manifest member changed size")
            checksumPath = try await io.run { try archive.commit(replacingStartWith: finalMember) }
        } else {
            // A stream has nothing to rewrite, but a sink may still hold its last bytes (an
            // encrypting sink seals its final chunk here).
            _ = try await io.run { try archive.commit(replacingStartWith: nil) }
        }
        phases.mark("commit")
        return BackupResult(
            archivePath: archive.location, checksumPath: checksumPath, fileCount: tree.fileCount,
            memberCount: tree.entries.count, totalBytes: tree.fileBytes, sizeBytes: archive.bytesWritten,
            durationSeconds: duration, warnings: warnings, manifest: manifest, decisions: walk.decisions,
            notes: archive.notes, socketsSkipped: walk.socketsSkipped, archivesSkipped: walk.archivesSkipped)
    }

    /// The files already at the output that a backup into the home must not archive: an older
    /// archive at `finalPath` and its `.sha256` sidecar. Both are about to be replaced, so a copy
    /// inside the new archive would be stale (and the sidecar would not match the new archive).
    /// Matched by device and inode, so another name for the same file is left out too.
    public static func outputIdentities(finalPath: String?) -> Set<FileIdentity> {
        guard let finalPath else { return [] }
        var identities = Set<FileIdentity>()
        for path in [finalPath, finalPath + ".sha256"] {
            if let info = try? withCPath(Array(path.utf8), { try Syscalls.lstatAt(AT_FDCWD, $0) }) {
                identities.insert(FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
            }
        }
        return identities
    }

    /// Opens the home for the walk; a missing or unreadable home is a usage error.
    package static func openHome(_ home: String) throws -> Int32 {
        do {
            let fd = try Syscalls.openAt(AT_FDCWD, home, O_RDONLY | O_DIRECTORY)
            // Reading the directory is what a backup needs; opening alone does not prove it.
            if access(home, R_OK | X_OK) != 0 {
                close(fd)
                throw Syscalls.Failure(operation: "access", errno: EACCES)
            }
            return fd
        } catch let failure as Syscalls.Failure {
            let reason: String
            switch failure.errno {
            case ENOENT: reason = "does not exist"
            case ENOTDIR: reason = "is not a directory"
            case EACCES: reason = "is not readable"
            default: reason = "cannot be opened (\(String(cString: strerror(failure.errno))))"
            }
            throw SindriError(.invalidArgument, "home directory \(home) \(reason)", path: home, operation: failure.operation, errno: failure.errno)
        }
    }

    /// `sindri-backup-{name}-{timestamp}.tar.gz`, the name of an archive in a directory or prefix.
    static func automaticName(instanceName: String, date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let safeName = String(instanceName.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" })
        return "sindri-backup-\(safeName)-\(formatter.string(from: date)).tar.gz"
    }

    /// The archive's final path for an output (nil for stdout), checking its directory exists.
    static func resolve(_ output: BackupOutput, instanceName: String, date: Date, encrypted: Bool = false) throws -> String? {
        switch output {
        case .standardOutput:
            return nil
        case .directory(let directory):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SindriError(.invalidArgument, "output directory \(directory) does not exist", path: directory)
            }
            let base = directory.hasSuffix("/") ? directory : directory + "/"
            return base + automaticName(instanceName: instanceName, date: date) + (encrypted ? ".age" : "")
        case .s3(let argument, _):
            return argument.hasSuffix("/") ? argument + automaticName(instanceName: instanceName, date: date) + (encrypted ? ".age" : "") : argument
        case .file(let path):
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SindriError(.invalidArgument, "output directory \(directory) does not exist", path: directory)
            }
            return path
        }
    }
}

/// A pool of per-thread compressors (their C state is not thread-safe and costly to create).
final class CompressorPool: @unchecked Sendable {
    private var free: [BlockMemberCompressor]
    private let lock = NSLock()
    private let level: Int
    private let engine: DeflateEngine

    init(level: Int, engine: DeflateEngine, count: Int) throws {
        self.level = level
        self.engine = engine
        free = try (0..<count).map { _ in try BlockMemberCompressor(level: level, engine: engine) }
    }

    func compress(_ input: UnsafeRawBufferPointer, kind: BlockMemberKind) throws -> [UInt8] {
        lock.lock()
        let reused = free.popLast()
        lock.unlock()
        // Created outside the lock: a failure here must not leave it held.
        let compressor = try reused ?? BlockMemberCompressor(level: level, engine: engine)
        defer {
            lock.lock()
            free.append(compressor)
            lock.unlock()
        }
        return try compressor.compress(input, kind: kind)
    }
}
