import CSindriSystem
import SindriArchive
import SindriSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Walks the home and selects what a backup archives: the producer at the head of the backup.
///
/// An actor on a blocking-I/O thread of its own (`getdents`, `fstatat`, `readlinkat` block),
/// holding the walk's state between batches: the stack of directories still to list and the
/// first path of each multiply-linked inode. ``nextBatch()`` walks on until a batch holds
/// ``batchItems`` items or ``batchBytes`` of file content, so one executor hop (11-21 µs from
/// the cooperative pool) carries hundreds of entries or as much reading as a block, and the
/// consumer can lay out and compress the first blocks while the walk goes on.
///
/// Why not the engine's shared I/O thread: the backup's `TarWriter` lives there, and a walk batch
/// (a few milliseconds of `getdents`/`fstatat`) queued in front of the writer held back every
/// block the readers handed in, so the readers ran dry behind the walk; measured, that cost more
/// wall time than streaming saved (PerfData/backup-streaming.md). On a thread of its own the walk
/// overlaps the writing and the reading.
///
/// Never follows symlinks (every directory is opened with `openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS)` relative to the home's descriptor), never descends into an excluded
/// directory or the tool's own state, and skips the output file by inode. The order is
/// pre-order depth-first with siblings sorted by name bytes, whatever the batch size.
public actor DirectoryWalker {
    public nonisolated let homeDescriptor: Int32
    public nonisolated let selection: BackupSelection
    public nonisolated let options: WalkOptions
    /// Files never archived whatever their name (the archive being written).
    public nonisolated let excludedFiles: Set<FileIdentity>

    /// A batch ends once it holds this many entries, warnings and decisions...
    public static let batchItems = 256
    /// ... or this many bytes of file content to read.
    public static let batchBytes: UInt64 = 128 << 10

    private let checkReadable = geteuid() != 0
    private let itemLimit: Int
    private let byteLimit: UInt64

    private var state = State.notStarted
    private var rootInfo = stat()
    private var stack: Stack = []
    private var firstPathOfInode: [FileIdentity: [UInt8]] = [:]

    private enum State { case notStarted, walking, finished }

    /// The walk's thread, started on first use and kept for the process's life (one walk at a
    /// time in practice; two walkers would take turns on it).
    public static let executor = BlockingExecutor(name: "sindri-walk")

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        Self.executor.asUnownedSerialExecutor()
    }

    /// `batchItems`/`batchBytes` other than the defaults are for tests of batching.
    public init(
        homeDescriptor: Int32, selection: BackupSelection, options: WalkOptions, excludedFiles: Set<FileIdentity>,
        batchItems: Int = DirectoryWalker.batchItems, batchBytes: UInt64 = DirectoryWalker.batchBytes
    ) {
        self.homeDescriptor = homeDescriptor
        self.selection = selection
        self.options = options
        self.excludedFiles = excludedFiles
        itemLimit = max(1, batchItems)
        byteLimit = max(1, batchBytes)
    }

    private struct Child {
        var name: [UInt8]
        var info: stat
    }

    /// Walks the whole selection. Throws only when the home itself cannot be read, or when the
    /// command is asked to stop.
    public func walk() throws -> WalkResult {
        var result = WalkResult()
        while let batch = try nextBatch() { result.append(batch) }
        return result
    }

    /// The next members in archive order, or nil once the walk is over. Throws when the home
    /// itself cannot be read, and `CancellationError` when the command is asked to stop (checked
    /// once per batch).
    public func nextBatch() throws -> WalkBatch? {
        try Interruption.checkpoint()
        switch state {
        case .finished:
            return nil
        case .notStarted:
            rootInfo = try Syscalls.fileStatus(homeDescriptor)
            let rootChildren: [Child]
            do {
                rootChildren = try listDirectory(relativePath: [])
            } catch let failure as Syscalls.Failure {
                throw failure.error(path: "home directory")
            }
            stack = [([], rootChildren, 0, false)]
            state = .walking
        case .walking:
            break
        }
        var batch = WalkBatch()
        while batch.itemCount < itemLimit, batch.regularFileBytes < byteLimit {
            if !step(&batch) {
                state = .finished
                break
            }
        }
        return state == .finished && batch.itemCount == 0 ? nil : batch
    }

    /// Looks at the next child of the deepest directory still being listed; false once the stack
    /// is empty.
    private func step(_ result: inout WalkResult) -> Bool {
        while let top = stack.indices.last, stack[top].next >= stack[top].children.count {
            stack.removeLast()
        }
        guard let top = stack.indices.last else { return false }
        let child = stack[top].children[stack[top].next]
        stack[top].next += 1
        let path = PathBytes.join(stack[top].parent, child.name)
        let info = child.info
        let isDirectory = ((info.st_mode & S_IFMT) == S_IFDIR)

        switch selection.verdict(for: path, isDirectory: isDirectory) {
        case .exclude(let reason):
            record(&result, path, isDirectory, false, reason)
            return true
        case .traverse:
            guard isDirectory else { return true }
            // Only traversed (an ancestor of an include root), but archived all the same so the
            // tree restores with its modes and mtimes: `-v` lists it like any other member.
            enter(path, info, rule: "traversed: holds an include root", traverseOnly: true, &result)
            return true
        case .include:
            break
        }

        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if excludedFiles.contains(identity) {
            record(&result, path, isDirectory, false, "the archive being written")
            return true
        }
        switch (info.st_mode & S_IFMT) {
        case S_IFDIR:
            enter(path, info, rule: "selected", traverseOnly: false, &result)
        case S_IFREG:
            if let limit = options.excludeLargerThan, UInt64(info.st_size) > limit {
                record(&result, path, false, false, "--exclude-larger-than")
                return true
            }
            if info.st_nlink > 1, let first = firstPathOfInode[identity] {
                var link = entry(path: path, info: info, kind: .hardLink)
                link.linkTarget = first
                append(link, info, &result)
                record(&result, path, false, true, "hard link")
                return true
            }
            if SindriArchiveName.matches(child.name) || isOurArchive(path, child.name) {
                result.archivesSkipped.append(path)
                record(&result, path, false, false, "an earlier sindri archive")
                return true
            }
            if checkReadable, !isReadable(stack[top].parent, child.name) {
                result.warnings.append(BackupWarning(path: path, message: "cannot read file: permission denied; skipped"))
                return true
            }
            if info.st_nlink > 1 { firstPathOfInode[identity] = path }
            var file = entry(path: path, info: info, kind: .regular)
            file.size = UInt64(info.st_size)
            append(file, info, &result)
            result.regularFileCount += 1
            result.regularFileBytes += file.size
            record(&result, path, false, true, "selected")
        case S_IFLNK:
            do {
                let target = try withCPath(path) { try Syscalls.readLinkAt(homeDescriptor, $0) }
                var link = entry(path: path, info: info, kind: .symbolicLink)
                link.linkTarget = target
                append(link, info, &result)
                record(&result, path, false, true, "selected")
            } catch let failure as Syscalls.Failure {
                result.warnings.append(BackupWarning(path: path, message: "cannot read symlink (\(failure.operation): \(String(cString: strerror(failure.errno)))); skipped"))
            } catch {
                result.warnings.append(BackupWarning(path: path, message: "cannot read symlink: \(error); skipped"))
            }
        case S_IFSOCK:
            result.socketsSkipped.append(path)
            record(&result, path, false, false, "socket (cannot be archived)")
        case S_IFIFO:
            append(entry(path: path, info: info, kind: .fifo), info, &result)
            record(&result, path, false, true, "selected")
        case S_IFCHR, S_IFBLK:
            result.warnings.append(BackupWarning(path: path, message: "device node skipped"))
        default:
            result.warnings.append(BackupWarning(path: path, message: "unknown file type skipped"))
        }
        return true
    }

    /// Adds a member with the `lstat` it was made from.
    private func append(_ entry: TarEntry, _ info: stat, _ result: inout WalkResult) {
        result.entries.append(entry)
        result.stamps.append(FileStamp(info))
    }

    /// Whether a file whose name does not say so is one of our archives all the same (renamed,
    /// or made with `-o NAME.tar.gz`): a `.tar.gz`/`.tgz` whose first gzip member is stored and
    /// starts with the manifest's tar header, as only our writer makes it. Reads 128 bytes.
    /// A `.sha256` beside such a file is its sidecar, left out with it.
    private func isOurArchive(_ path: [UInt8], _ name: [UInt8]) -> Bool {
        let sidecar = Array(".sha256".utf8)
        if name.ends(with: sidecar) {
            return isOurArchive(Array(path.dropLast(sidecar.count)), Array(name.dropLast(sidecar.count)))
        }
        guard name.ends(with: Array(".tar.gz".utf8)) || name.ends(with: Array(".tgz".utf8)) else { return false }
        guard let fd = try? withCPath(path, { try FileOpener.openBeneath(homeDescriptor, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) }) else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 128)
        let count = (try? head.withUnsafeMutableBytes { try Syscalls.readFully(fd, into: $0, at: 0) }) ?? 0
        return SindriArchiveName.hasManifestMember(head[0..<count])
    }

    private func record(_ result: inout WalkResult, _ path: [UInt8], _ isDirectory: Bool, _ included: Bool, _ rule: String) {
        guard options.recordDecisions else { return }
        result.decisions.append(WalkDecision(path: path, isDirectory: isDirectory, included: included, rule: rule))
    }

    /// The walk's stack of directories still to list: each directory's sorted children and the
    /// index of the next one.
    private typealias Stack = [(parent: [UInt8], children: [Child], next: Int, traverseOnly: Bool)]

    /// Archives a directory and schedules its children, unless listing it says otherwise.
    private func enter(_ path: [UInt8], _ info: stat, rule: String, traverseOnly: Bool, _ result: inout WalkResult) {
        switch descend(path, info, &result) {
        case .children(let children):
            append(entry(path: path, info: info, kind: .directory), info, &result)
            record(&result, path, true, true, rule)
            stack.append((path, children, 0, traverseOnly))
        case .keepEmpty(let reason):
            append(entry(path: path, info: info, kind: .directory), info, &result)
            record(&result, path, true, true, reason)
        case .skip:
            break
        }
    }

    /// What listing a directory decided.
    private enum Descent {
        /// Archive the directory and walk these children.
        case children([Child])
        /// Archive the directory, empty (a mount point under `--one-file-system`).
        case keepEmpty(reason: String)
        /// Leave the directory out altogether: excluded by a directory-level rule, or unreadable.
        /// An unreadable directory is not archived as an empty one (which a restore would turn into
        /// an empty directory, often with mode 000, as if its files had been deleted); like GNU tar,
        /// the backup skips it and the warning names it.
        case skip
    }

    /// Lists a directory to descend into, applying the directory-level exclusions (a warning
    /// says why when the directory cannot be read).
    private func descend(_ path: [UInt8], _ info: stat, _ result: inout WalkResult) -> Descent {
        if options.oneFileSystem && info.st_dev != rootInfo.st_dev {
            return .keepEmpty(reason: "--one-file-system (mount point kept empty)")
        }
        do {
            var children = try listDirectory(relativePath: path)
            if !options.excludeIfPresent.isEmpty {
                let names = Set(children.map(\.name))
                if let marker = options.excludeIfPresent.first(where: { names.contains(Array($0.utf8)) }) {
                    record(&result, path, true, false, "--exclude-if-present \(marker)")
                    return .skip
                }
            }
            if options.excludeCaches, let tag = children.first(where: { $0.name == Array("CACHEDIR.TAG".utf8) }),
               ((tag.info.st_mode & S_IFMT) == S_IFREG), hasCacheSignature(PathBytes.join(path, tag.name)) {
                for other in children where other.name != tag.name {
                    record(&result, PathBytes.join(path, other.name), ((other.info.st_mode & S_IFMT) == S_IFDIR), false, "--exclude-caches")
                }
                children = [tag]
            }
            return .children(children)
        } catch let failure as Syscalls.Failure {
            result.warnings.append(BackupWarning(path: path, message: "cannot read directory (\(failure.operation): \(String(cString: strerror(failure.errno)))); skipped with its contents"))
            return .skip
        } catch {
            result.warnings.append(BackupWarning(path: path, message: "cannot read directory: \(error); skipped with its contents"))
            return .skip
        }
    }

    /// The children of a directory, sorted by name bytes, with their `lstat`.
    private func listDirectory(relativePath: [UInt8]) throws -> [Child] {
        let fd: Int32 = try relativePath.isEmpty
            ? Syscalls.openAt(homeDescriptor, ".", O_RDONLY | O_DIRECTORY)
            : withCPath(relativePath) { try FileOpener.openBeneath(homeDescriptor, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }
        guard let stream = fdopendir(fd) else {
            let code = sindri_errno()
            close(fd)
            throw Syscalls.Failure(operation: "fdopendir", errno: code)
        }
        defer { closedir(stream) }
        let dirfd = Glibc.dirfd(stream)
        var children: [Child] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                let code = sindri_errno()
                if code != 0 { throw Syscalls.Failure(operation: "readdir", errno: code) }
                break
            }
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return Array(bytes[0..<length])
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            do {
                let info = try withCPath(name) { try Syscalls.lstatAt(dirfd, $0) }
                children.append(Child(name: name, info: info))
            } catch let failure as Syscalls.Failure where failure.errno == ENOENT {
                continue  // vanished between readdir and fstatat
            }
        }
        children.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return children
    }

    private func isReadable(_ parent: [UInt8], _ name: [UInt8]) -> Bool {
        withCPath(PathBytes.join(parent, name)) { faccessat(homeDescriptor, $0, R_OK, AT_EACCESS) == 0 }
    }

    /// The Cache Directory Tagging Specification's signature check.
    private func hasCacheSignature(_ path: [UInt8]) -> Bool {
        let signature = Array("Signature: 8a477f597d28d172789f06886806bc55".utf8)
        guard let fd = try? withCPath(path, { try FileOpener.openBeneath(homeDescriptor, $0, O_RDONLY | O_NOFOLLOW) }) else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: signature.count)
        let count = (try? buffer.withUnsafeMutableBytes { try Syscalls.readFully(fd, into: $0, at: 0) }) ?? 0
        return count == signature.count && buffer == signature
    }

    private func entry(path: [UInt8], info: stat, kind: TarEntryKind) -> TarEntry {
        TarEntry(
            path: path, kind: kind, mode: UInt32(info.st_mode) & 0o7777, uid: UInt32(info.st_uid), gid: UInt32(info.st_gid),
            size: 0, modificationTime: Int64(info.st_mtim.tv_sec), linkTarget: [])
    }
}

/// Recognizes sindri's own archives in a home, so a backup never archives earlier backups.
public enum SindriArchiveName {
    /// `sindri-backup-*.tar.gz`, with `.age` (encrypted) and `.sha256` (sidecar) variants, and
    /// the temporary names a running or killed backup writes (`.sindri-backup-….sindri-tmp-…`).
    public static func matches(_ name: [UInt8]) -> Bool {
        let prefix = Array("sindri-backup-".utf8)
        if name.starts(with: Array(".".utf8) + prefix), name.firstRange(of: Array(".sindri-tmp-".utf8)) != nil { return true }
        guard name.starts(with: prefix) else { return false }
        for suffix in [".tar.gz", ".tar.gz.age", ".tar.gz.sha256", ".tar.gz.age.sha256"] where name.ends(with: Array(suffix.utf8)) {
            return true
        }
        return false
    }

    /// Whether `head` (the first bytes of a file) is a gzip member with no flags whose first
    /// deflate block is stored and holds the tar header of `.backup-manifest.json`.
    public static func hasManifestMember(_ head: ArraySlice<UInt8>) -> Bool {
        let bytes = Array(head)
        let manifest = Array(MANIFEST_FILENAME.utf8) + [0]
        guard bytes.count >= 15 + manifest.count, bytes[0] == 0x1F, bytes[1] == 0x8B, bytes[2] == 8, bytes[3] == 0,
              bytes[10] <= 1 else { return false }
        return Array(bytes[15..<(15 + manifest.count)]) == manifest
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}

/// Opens paths beneath a directory descriptor without following symlinks, using `openat2`
/// where the kernel has it and a component-by-component `O_NOFOLLOW` walk where it does not.
public enum FileOpener {
    /// Set once a kernel without `openat2` (before Linux 5.6) answered ENOSYS. Atomic: the walk,
    /// the staging lanes and the planner's hashing threads open files at the same time.
    private static let openat2Missing = Atomic<Bool>(false)

    /// Whether `openat2` is used (until the kernel says it does not have it).
    static var hasOpenat2: Bool { !openat2Missing.load(ordering: .relaxed) }

    /// Opens `path` (relative, no `..`) beneath `dirfd`.
    public static func openBeneath(_ dirfd: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32, mode: mode_t = 0) throws -> Int32 {
        if hasOpenat2 {
            do {
                return try Syscalls.openBeneath(dirfd, path, flags, mode: mode)
            } catch let failure as Syscalls.Failure where failure.errno == ENOSYS {
                openat2Missing.store(true, ordering: .relaxed)
            }
        }
        return try openByComponents(dirfd, String(cString: path), flags, mode)
    }

    private static func openByComponents(_ dirfd: Int32, _ path: String, _ flags: Int32, _ mode: mode_t) throws -> Int32 {
        let parts = path.split(separator: "/").map(String.init)
        guard !parts.isEmpty, !parts.contains("..") else { throw Syscalls.Failure(operation: "openat", errno: EINVAL) }
        var current = dirfd
        var owned = false
        defer { if owned { close(current) } }
        for part in parts.dropLast() {
            let next = try Syscalls.openAt(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            if owned { close(current) }
            current = next
            owned = true
        }
        return try Syscalls.openAt(current, parts.last!, flags | O_NOFOLLOW, mode: mode)
    }
}
