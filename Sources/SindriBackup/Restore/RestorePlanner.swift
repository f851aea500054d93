import CSindriSystem
import Crypto
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// What the home holds at a path, looked up without following any symlink.
enum HomeState: Equatable {
    case missing
    case directory
    case regular(size: UInt64, device: UInt64, inode: UInt64)
    case symlink(target: [UInt8])
    case other
    /// An ancestor in the home is a symlink or not a directory: nothing may be written here.
    case blocked(String)
}

/// Stage 2: compares the validated archive with the home and decides, per path, what the mode
/// does (the mode tables in README). Reads the home only.
///
/// An actor on the engine's blocking-I/O thread (`BlockingExecutor.shared`): it owns its
/// lookups (open directory descriptors) while it plans, and hands the plan over as batches of
/// steps that the applier takes one journal fsync each. The decisions themselves are a plain
/// synchronous pass over the members; only reading the home files that may be identical to their
/// member runs in parallel, on the blocking-I/O worker threads.
///
/// Every lookup goes through `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` from the home's
/// descriptor, so a symlinked directory already in the home can never steer a path elsewhere;
/// such paths are planned as `skip: unsafe`.
actor RestorePlanner {
    let homeDescriptor: Int32
    let mode: RestoreMode
    /// Restore only the members these PATHs select.
    let only: RestorePathSelection

    nonisolated var unownedExecutor: UnownedSerialExecutor { BlockingExecutor.shared.asUnownedSerialExecutor() }

    init(homeDescriptor: Int32, mode: RestoreMode, only: RestorePathSelection) {
        self.homeDescriptor = homeDescriptor
        self.mode = mode
        self.only = only
    }

    struct Step: Sendable {
        var memberIndex: Int
        var planned: PlannedPath
        var existing: HomeState
        /// The entry at the path when it was planned (nil when nothing was there): the snapshot
        /// and every rename of it check that the path still names this entry.
        var identity: EntryIdentity? = nil
    }

    /// Steps handed to the applier at a time (one journal fsync each).
    static let batchSize = 256

    /// The whole plan, in archive order, cut into batches of ``batchSize`` steps.
    ///
    /// - Throws: `CancellationError` on a stop request (checked per batch of members).
    func plan(_ archive: ScannedArchive) async throws -> [[Step]] {
        var lookups = DirectoryCache(homeDescriptor: homeDescriptor)
        defer { lookups.closeAll() }
        // What the home holds at each path, looked up once; the files that may be identical to
        // their member are hashed up front on several threads.
        var states: [HomeState?] = Array(repeating: nil, count: archive.members.count)
        var identities: [EntryIdentity?] = Array(repeating: nil, count: archive.members.count)
        var candidates: [(index: Int, path: [UInt8], size: UInt64)] = []
        for (index, member) in archive.members.enumerated() where only.selects(member.path, isDirectory: member.kind == .directory) {
            if index % Self.batchSize == 0 { try Interruption.checkpoint() }
            let (state, identity) = lookups.lookup(member.path)
            states[index] = state
            identities[index] = identity
            if member.kind == .regular, member.digest != nil, case .regular(let size, _, _) = state, size == member.size {
                candidates.append((index, member.path, size))
            }
        }
        let homeDigests = try await Self.digests(of: candidates, home: homeDescriptor)
        try Interruption.checkpoint()
        let steps = decide(archive, states: states, identities: identities, homeDigests: homeDigests, lookups: &lookups)
        return stride(from: 0, to: steps.count, by: Self.batchSize).map { Array(steps[$0..<min($0 + Self.batchSize, steps.count)]) }
    }

    /// The synchronous decision pass: one step per selected member, by mode.
    private func decide(_ archive: ScannedArchive, states: [HomeState?], identities: [EntryIdentity?],
                        homeDigests: [Int: [UInt8]], lookups: inout DirectoryCache) -> [Step] {
        var steps: [Step] = []
        steps.reserveCapacity(archive.members.count)
        var claimed = Set(archive.members.map(\.path))
        var outcome: [[UInt8]: RestoreAction] = [:]
        // Type conflicts: where the archive has a directory and the home something else, the
        // paths below it are planned against what the directory becomes. Replaced (full, merge):
        // the new directory is empty, so everything below is created. Left alone (safe): nothing
        // below can be restored, and each such path is named with the conflict that stops it.
        var replacedByDirectory: Set<[UInt8]> = []
        var conflictedParents: Set<[UInt8]> = []
        for (index, member) in archive.members.enumerated() {
            let path = member.path
            guard var existing = states[index] else { continue }
            let identity = identities[index]
            func step(_ action: RestoreAction, _ reason: String? = nil, existing: HomeState = .missing, backup: [UInt8]? = nil,
                      typeConflict: Bool = false) {
                steps.append(Step(memberIndex: index,
                                  planned: PlannedPath(path: path, action: action, reason: reason, backupPath: backup, typeConflict: typeConflict,
                                                        isRegularFile: member.kind == .regular),
                                  existing: existing, identity: action.writes ? identity : nil))
                outcome[path] = action
            }
            if case .blocked = existing, !replacedByDirectory.isEmpty || !conflictedParents.isEmpty {
                let ancestors = MemberPath.ancestors(path)
                if let parent = ancestors.last(where: { conflictedParents.contains($0) }) {
                    step(.skipExists, "not restored: \(PathBytes.display(parent)) in the home is not a directory (conflict)", existing: existing)
                    continue
                }
                if ancestors.contains(where: { replacedByDirectory.contains($0) }) { existing = .missing }
            }
            if isToolState(path) { step(.protectedMarker, "the tool's own state is never restored"); continue }
            if isSystemMarker(path) { step(.protectedMarker, "system marker"); continue }
            if member.kind == .hardLink, isSystemMarker(member.linkTarget) || isToolState(member.linkTarget) {
                step(.protectedMarker, "hard link to a system marker"); continue
            }
            switch existing {
            case .blocked(let why):
                step(.skipUnsafe, why, existing: existing)
                continue
            case .missing:
                step(.create, existing: existing)
                continue
            default:
                break
            }
            // Something exists at the path.
            if member.kind == .directory, existing == .directory {
                // Not a conflict: the archive's directory is already there (its files are decided
                // one by one). Counted apart, so that real conflicts are not lost among them.
                step(.skipDirectoryExists, existing: existing)
                continue
            }
            if member.kind != .directory, isIdentical(member, existing, homeDigest: homeDigests[index], lookups: &lookups, outcome: outcome) {
                step(.skipIdentical, existing: existing)
                continue
            }
            // A type conflict: the home has a directory where the archive has something else, or
            // the reverse. Every mode decides it like any other differing path, never silently.
            let typeConflict: String? = member.kind == .directory
                ? "\(Self.describe(existing)) in the home where the backup has a directory"
                : existing == .directory ? "a directory in the home where the backup has \(Self.describe(member.kind))" : nil
            if member.kind == .directory, mode != .safe { replacedByDirectory.insert(path) }
            switch mode {
            case .safe:
                if member.kind == .directory { conflictedParents.insert(path) }
                step(.skipExists, typeConflict.map { "\($0) (conflict)" } ?? "exists and differs (conflict)", existing: existing,
                     typeConflict: typeConflict != nil)
            case .full:
                step(.overwrite, typeConflict.map { "\($0); the original is kept in the pre-restore snapshot" }, existing: existing,
                     typeConflict: typeConflict != nil)
            case .merge:
                if member.kind == .regular, case .regular = existing, MemberPath.parent(path).isEmpty,
                   ShellConfigMerger.mergedNames.contains(path) {
                    if let backup = member.inlineContent, let current = lookups.contents(of: path, limit: 16 << 20),
                       ShellConfigMerger.merge(current: current, backup: backup, label: "") == nil {
                        step(.skipIdentical, "already has every line of the backup", existing: existing)
                    } else {
                        step(.merge, existing: existing)
                    }
                } else {
                    let backup = freeBackupName(path, claimed: &claimed, lookups: &lookups)
                    step(.keepBackupAndOverwrite, typeConflict, existing: existing, backup: backup, typeConflict: typeConflict != nil)
                }
            }
        }
        return steps
    }

    /// What a home entry is, for a type conflict's reason.
    static func describe(_ state: HomeState) -> String {
        switch state {
        case .regular: return "a file"
        case .symlink: return "a symlink"
        case .directory: return "a directory"
        default: return "a special file"
        }
    }

    static func describe(_ kind: TarEntryKind) -> String {
        switch kind {
        case .symbolicLink: return "a symlink"
        case .directory: return "a directory"
        default: return "a file"
        }
    }

    /// SHA256 of the home files at `candidates`, by member index, read on four threads (each file
    /// opened beneath the home, never through a symlink; an unreadable one is left out). The
    /// identical-file check reads every home file that has its member's size: on a second restore
    /// of the same archive that is the whole home, and one thread reading a cold home took 6-7 s of
    /// a 10 s run (the reads wait on the disk, so more threads than cores help). Files go to the
    /// readers in batches (64 files or 4 MiB), one hop per batch.
    static func digests(of candidates: [(index: Int, path: [UInt8], size: UInt64)], home: Int32, threads: Int = 4) async throws -> [Int: [UInt8]] {
        guard !candidates.isEmpty else { return [:] }
        let readers = BoundedPipeline<[(Int, [UInt8])]>(width: threads, executors: BlockingExecutor.workers)
        var digests: [Int: [UInt8]] = [:]
        func take(_ done: [(Int, [UInt8])]?) {
            for (index, digest) in done ?? [] { digests[index] = digest }
        }
        var position = 0
        do {
            while position < candidates.count {
                var end = position
                var bytes: UInt64 = 0
                while end < candidates.count, end - position < 64, bytes < 4 << 20 {
                    bytes += candidates[end].size
                    end += 1
                }
                let batch = candidates[position..<end].map { ($0.index, $0.path) }
                position = end
                take(try await readers.submit { _ in
                    batch.compactMap { index, path in
                        guard let fd = try? withCPath(path, { try FileOpener.openBeneath(home, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) }) else { return nil }
                        defer { close(fd) }
                        // Unreadable: not known to be identical, so it is planned as differing.
                        return (try? FileDigest.sha256(of: fd)).map { (index, $0) }
                    }
                })
            }
            while let done = try await readers.next() { take(done) }
        } catch {
            await readers.cancel()
            throw error
        }
        return digests
    }

    private func isIdentical(_ member: ScannedMember, _ existing: HomeState, homeDigest: [UInt8]?,
                             lookups: inout DirectoryCache, outcome: [[UInt8]: RestoreAction]) -> Bool {
        switch (member.kind, existing) {
        case (.regular, .regular(let size, _, _)):
            guard size == member.size, let digest = member.digest, let homeDigest else { return false }
            return homeDigest == digest
        case (.symbolicLink, .symlink(let target)):
            return target == member.linkTarget
        case (.hardLink, .regular(_, let device, let inode)):
            // Already linked to the (identical) target in the home.
            guard outcome[member.linkTarget] == .skipIdentical,
                  case .regular(_, let targetDevice, let targetInode) = lookups.state(of: member.linkTarget) else { return false }
            return device == targetDevice && inode == targetInode
        default:
            return false
        }
    }

    /// `name.bak`, else `name.bak.1`, `name.bak.2`, ...: the first that neither exists in the home
    /// nor is claimed by the archive or another planned backup.
    private func freeBackupName(_ path: [UInt8], claimed: inout Set<[UInt8]>, lookups: inout DirectoryCache) -> [UInt8] {
        var counter = 0
        while true {
            var candidate = path + Array(".bak".utf8)
            if counter > 0 { candidate += Array(".\(counter)".utf8) }
            if !claimed.contains(candidate), lookups.state(of: candidate) == .missing {
                claimed.insert(candidate)
                return candidate
            }
            counter += 1
        }
    }
}

/// Looks up paths in the home by directory descriptor, keeping the last parent open (archives
/// are sorted, so siblings come together).
struct DirectoryCache {
    let homeDescriptor: Int32
    private var parentPath: [UInt8]?
    private var parentDescriptor: Int32 = -1
    private var parentProblem: String?

    init(homeDescriptor: Int32) { self.homeDescriptor = homeDescriptor }

    mutating func closeAll() {
        if parentDescriptor >= 0 && parentDescriptor != homeDescriptor { close(parentDescriptor) }
        parentDescriptor = -1
        parentPath = nil
    }

    /// The descriptor of `path`'s parent directory, or why it cannot be used.
    mutating func parent(of path: [UInt8]) -> (Int32, String?) {
        let parent = MemberPath.parent(path)
        if parent == parentPath { return (parentDescriptor, parentProblem) }
        closeAll()
        parentPath = parent
        parentProblem = nil
        if parent.isEmpty {
            parentDescriptor = homeDescriptor
            return (homeDescriptor, nil)
        }
        do {
            parentDescriptor = try withCPath(parent) { try FileOpener.openBeneath(homeDescriptor, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }
        } catch let failure as Syscalls.Failure {
            parentDescriptor = -1
            switch failure.errno {
            case ENOENT: parentProblem = nil  // parent missing: the path is missing too
            case ELOOP, EXDEV: parentProblem = "a parent directory in the home is a symlink"
            case ENOTDIR: parentProblem = "a parent in the home is not a directory"
            default: parentProblem = "parent directory unusable (\(String(cString: strerror(failure.errno))))"
            }
        } catch {
            parentDescriptor = -1
            parentProblem = "parent directory unusable"
        }
        return (parentDescriptor, parentProblem)
    }

    mutating func state(of path: [UInt8]) -> HomeState { lookup(path).state }

    /// What the home holds at `path`, and which entry it is (nil when nothing is there).
    mutating func lookup(_ path: [UInt8]) -> (state: HomeState, identity: EntryIdentity?) {
        let (fd, problem) = parent(of: path)
        if let problem { return (.blocked(problem), nil) }
        if fd < 0 { return (.missing, nil) }
        let name = MemberPath.name(path)
        guard let info = try? withCPath(name, { try Syscalls.lstatAt(fd, $0) }) else { return (.missing, nil) }
        let identity = EntryIdentity(info)
        switch (info.st_mode & S_IFMT) {
        case S_IFDIR: return (.directory, identity)
        case S_IFREG: return (.regular(size: UInt64(info.st_size), device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), identity)
        case S_IFLNK:
            let target = (try? withCPath(name) { try Syscalls.readLinkAt(fd, $0) }) ?? []
            return (.symlink(target: target), identity)
        default: return (.other, identity)
        }
    }

    /// The content of an existing small regular file (opened with O_NOFOLLOW).
    mutating func contents(of path: [UInt8], limit: Int) -> [UInt8]? {
        let (parentFD, problem) = parent(of: path)
        guard problem == nil, parentFD >= 0 else { return nil }
        return try? withCPath(MemberPath.name(path)) { name in
            try FileContents.read(parentFD, String(cString: name), limit: limit)
        }
    }
}
