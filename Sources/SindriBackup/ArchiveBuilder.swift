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
/// The pipeline (see `ArchiveBuilder+Pipeline.swift`): the `DirectoryWalker` actor yields the
/// members in batches; the `TarWriter` actor lays each batch out in the tar stream and hands out
/// the blocks its layout now covers; reader tasks build (read, hash) and compress 1 MiB blocks in
/// parallel; the writer puts them back in order and appends them. The walker runs on a thread of
/// its own, the writer on the engine's blocking-I/O thread, the readers on the I/O worker
/// threads (their `pread`s block; hashing and deflate follow on the same thread). At most
/// `3 x workers` blocks are in flight, so memory stays flat whatever the workspace holds.
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
        return try await walker.walk()
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
        let homeDescriptor = try Self.openHome(home)
        defer { close(homeDescriptor) }
        let selection = BackupSelection(profile: config.profile, userRules: try config.exclusions.rules())
        let source = config.source ?? SourceDetector.source(home: home)
        let (base, baseNote) = try await incrementalBase(output: output, source: source)
        if let base, base.isEncrypted, config.encryption == nil {
            // A plain incremental would hold, readable by anyone, the paths and changed files
            // of a tree its user chose to encrypt.
            throw SindriError(.invalidArgument, "the base \(base.path) is encrypted, so the incremental must be too: give --recipient, --recipients-file or --passphrase")
        }
        let archive = try await ArchiveSinks.open(
            for: output, instanceName: source.instanceName, date: started, incremental: base != nil, encryption: config.encryption)
        // Never archiving the archive: not the temporary file, nor an old archive or sidecar at the path.
        var excluded = Self.outputIdentities(finalPath: archive.location)
        if let identity = archive.identity { excluded.insert(identity) }
        let tree = TreeIndexBuilder(base: base, rehash: config.incremental?.rehash ?? false, homeDescriptor: homeDescriptor)
        let writer = TarWriter(output: archive, blockSize: config.blockSize, window: max(2, config.workers * 3), tree: tree, progress: progress)
        do {
            var result = try await write(
                home: home, homeDescriptor: homeDescriptor, selection: selection, source: source,
                excluded: excluded, writer: writer, started: started, base: base)
            if let baseNote { result.notes.insert(baseNote, at: 0) }
            return result
        } catch {
            // On the I/O thread (the writer's executor), where a sink may wait: an upload's abort
            // is a network call that must finish before the process exits.
            await writer.abort()
            throw error
        }
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
