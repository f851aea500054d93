import CSindriSystem
import Foundation
import SindriArchive
import SindriCodecs
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// The pre-restore snapshot: a standard tar of exactly the home entries a restore will replace
/// or modify, in `<home>/.sindri/restore-snapshots/snapshot-<id>.tar.gz` (or `.tar.lz4`).
///
/// `tar -xzf` (or `lz4 -dc | tar -x`) of it in the home puts the originals back by hand, as the
/// README's manual rollback describes; `sindri rollback` extracts from it the same way, through
/// the descriptor-relative, symlink-refusing path used everywhere else.
enum RestoreSnapshot {
    static let directory = "\(TOOL_STATE_DIRECTORY)/restore-snapshots"

    static func fileName(identifier: String, codec: SnapshotCodec) -> String {
        "snapshot-\(identifier).\(codec.fileExtension)"
    }

    /// Writes the snapshot of `paths` without identity checks (see the other `write`).
    static func write(home: Int32, identifier: String, paths: [[UInt8]], codec: SnapshotCodec) async throws -> String {
        try await write(home: home, identifier: identifier, entries: paths.map { ($0, nil) }, codec: codec)
    }

    /// Writes the snapshot of `entries` atomically; returns its home-relative path.
    ///
    /// Each path is archived as what it is: a file, a symlink, a FIFO, or a directory with its
    /// whole subtree (a type conflict in full mode replaces a directory), files linked to each
    /// other as hard links of the snapshot. Where an identity is given, the path must still name
    /// that entry (the one the restore planned to replace): otherwise the restore stops here,
    /// before anything in the home changed.
    static func write(home: Int32, identifier: String, entries: [(path: [UInt8], identity: EntryIdentity?)], codec: SnapshotCodec) async throws -> String {
        let name = fileName(identifier: identifier, codec: codec)
        // Through descriptors only: a `.sindri` swapped for a symlink cannot steer the mkdir.
        let directoryFD = try ToolState.openSubdirectory(home, "restore-snapshots").descriptor
        defer { close(directoryFD) }
        let temporary = ".\(name).tmp"
        let fd: Int32
        do { fd = try Syscalls.openAt(directoryFD, temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600) } catch let failure as Syscalls.Failure {
            throw failure.error(path: directory + "/" + temporary)
        }
        var ok = false
        defer {
            if !ok {
                close(fd)
                CleanupLog.check(unlinkat(directoryFD, temporary, 0), "could not remove the unfinished snapshot \(directory)/\(temporary) (remove it by hand)")
            }
        }
        let sink = try SnapshotSink(descriptor: fd, codec: codec)
        var writer = SnapshotTreeWriter(sink: sink)
        var lookups = DirectoryCache(homeDescriptor: home)
        defer { lookups.closeAll() }
        for (path, identity) in entries {
            try Interruption.checkpoint()
            let (parentFD, problem) = lookups.parent(of: path)
            let name = MemberPath.name(path)
            // Only a path that is not there is left out; any other failure to look at it stops the
            // restore here (an entry that would be replaced must not go unsaved).
            var info: stat?
            if problem == nil, parentFD >= 0 {
                do {
                    info = try withCPath(name) { try Syscalls.lstatAt(parentFD, $0) }
                } catch let failure as Syscalls.Failure where failure.errno == ENOENT {
                    info = nil
                } catch let failure as Syscalls.Failure {
                    throw failure.error(path: PathBytes.display(path))
                }
            }
            if let identity {
                guard let info, EntryIdentity(info) == identity else {
                    // Exit 5 like any failed restore: the home is as it was (nothing was changed yet).
                    throw SindriError(.rolledBack, "restore failed: \(PathBytes.display(path)) changed after the restore was planned; nothing in the home was changed", path: PathBytes.display(path))
                }
            }
            guard let info else { continue }
            do {
                try await writer.write(parent: parentFD, name: name, path: path, info: info)
            } catch let failure as Syscalls.Failure {
                throw failure.error(path: PathBytes.display(path))
            }
        }
        try await sink.write(TarHeaderEncoder.endOfArchive())
        try await sink.finish()
        do {
            try Syscalls.sync(fd)
            try Syscalls.closeChecked(fd)
            ok = true
            try Syscalls.renameAt(directoryFD, temporary, directoryFD, name)
            try Syscalls.sync(directoryFD)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: directory + "/" + name)
        }
        return directory + "/" + name
    }

    /// Extracts the entries at or below `paths` from a snapshot into the home in one sequential
    /// pass, whatever the number of paths: directories (created where missing; mode, owner and
    /// mtime set after their contents), files, symlinks, FIFOs, devices (as root) and hard links
    /// (linked again to the member extracted earlier, so a link pair stays one inode).
    ///
    /// Every non-directory is built in `temporaryDirectory` (inside `.sindri`, on the home's
    /// filesystem) and renamed over its path, so what is at a path is either the old entry or the
    /// complete original, and a killed run leaves nothing in the user's directories. Never writes
    /// through a link: parents are opened with `openat2(RESOLVE_NO_SYMLINKS)`. Every result of
    /// `fchmod`, `fchown`, `futimens` and `rename` is checked. With `interruptible`, stops at a
    /// signal once per batch (the caller's journal says the pass is to be repeated).
    static func extract(home: Int32, snapshot: String, paths: Set<[UInt8]>, temporaryDirectory: String,
                        interruptible: Bool, progress: ((Int, String) -> Void)? = nil) throws {
        let codec: SnapshotCodec = snapshot.hasSuffix(".lz4") ? .lz4 : .gzip
        let fd: Int32
        do { fd = try FileOpener.openBeneath(home, snapshot, O_RDONLY | O_NOFOLLOW) } catch let failure as Syscalls.Failure {
            throw failure.error(path: snapshot)
        }
        defer { close(fd) }
        // Made and opened through `.sindri`'s own descriptor: never by a path whose first
        // component the home's owner could have swapped for a symlink.
        let temporaryFD = try ToolState.openSubdirectory(home, (temporaryDirectory as NSString).lastPathComponent).descriptor
        defer { close(temporaryFD) }
        let extractor = SnapshotExtractor(home: home, temporary: temporaryFD, wanted: paths)
        defer { extractor.close() }
        var reader = TarReader()
        var members = 0
        func handle(_ event: TarEvent) throws {
            switch event {
            case .entry(let member):
                members += 1
                if members % 256 == 0 {
                    if interruptible { try Interruption.checkpoint() }
                    progress?(members, PathBytes.display(member.entry.path))
                }
                try extractor.begin(member.entry)
            case .content(let slice):
                try extractor.content(slice)
            case .endOfEntry:
                try extractor.end()
            case .endOfArchive:
                break
            }
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        do {
            if codec == .gzip {
                let decoder = try GzipStreamDecoder()
                while true {
                    let count = try chunk.withUnsafeMutableBytes { try Syscalls.readSome(fd, into: $0) }
                    if count == 0 { break }
                    try chunk.withUnsafeBytes { raw in
                        try decoder.feed(UnsafeRawBufferPointer(rebasing: raw[0..<count])) { out in try reader.consume(out, handle) }
                    }
                }
                try decoder.finish()
            } else {
                let decoder = try LZ4FrameDecoder()
                while true {
                    let count = try chunk.withUnsafeMutableBytes { try Syscalls.readSome(fd, into: $0) }
                    if count == 0 { break }
                    try chunk.withUnsafeBytes { raw in
                        try decoder.feed(UnsafeRawBufferPointer(rebasing: raw[0..<count])) { out in try reader.consume(out, handle) }
                    }
                }
                try decoder.finish()
            }
            try reader.finish()
            try extractor.finishDirectories()
        } catch let error as SindriError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch let failure as Syscalls.Failure {
            throw SindriError(.rollbackFailed, "reading snapshot \(snapshot) failed: \(failure)")
        } catch {
            throw SindriError(.rollbackFailed, "snapshot \(snapshot) is damaged: \(error)")
        }
        let missing = extractor.missing()
        if !missing.isEmpty {
            throw SindriError(.rollbackFailed, "the snapshot \(snapshot) does not hold \(missing.prefix(3).map(PathBytes.display).joined(separator: ", "))\(missing.count > 3 ? " and \(missing.count - 3) more" : "")")
        }
    }
}

/// The state of one pass of ``RestoreSnapshot/extract(home:snapshot:paths:temporaryDirectory:interruptible:progress:)``.
private final class SnapshotExtractor {
    let home: Int32
    let temporary: Int32
    let wanted: Set<[UInt8]>
    private var found = Set<[UInt8]>()
    private var lookups: DirectoryCache
    private var counter = 0
    /// The file being written: its descriptor, temporary name, target and header.
    private var current: (file: Int32, temporary: [UInt8], path: [UInt8], entry: TarEntry)?
    /// Directories extracted, in archive order; their attributes are set at the end, deepest first.
    private var directories: [TarEntry] = []
    private let isRoot = geteuid() == 0

    init(home: Int32, temporary: Int32, wanted: Set<[UInt8]>) {
        self.home = home
        self.temporary = temporary
        self.wanted = wanted
        lookups = DirectoryCache(homeDescriptor: home)
    }

    func close() {
        if let current { Glibc.close(current.file) }
        current = nil
        lookups.closeAll()
    }

    func missing() -> [[UInt8]] { wanted.subtracting(found).sorted { $0.lexicographicallyPrecedes($1) } }

    private func isWanted(_ path: [UInt8]) -> Bool {
        if wanted.contains(path) { found.insert(path); return true }
        return MemberPath.ancestors(path).contains { wanted.contains($0) }
    }

    private func nextTemporary() -> [UInt8] {
        counter += 1
        return Array("x\(counter)".utf8)
    }

    private func parent(of path: [UInt8]) throws -> Int32 {
        let (fd, problem) = lookups.parent(of: path)
        if let problem { throw SindriError(.rollbackFailed, "cannot restore \(PathBytes.display(path)) from the snapshot: \(problem)") }
        if fd < 0 {
            // The parent may have been created by this pass after the cache looked.
            lookups.closeAll()
            let (again, problem) = lookups.parent(of: path)
            if let problem { throw SindriError(.rollbackFailed, "cannot restore \(PathBytes.display(path)) from the snapshot: \(problem)") }
            guard again >= 0 else { throw SindriError(.rollbackFailed, "cannot restore \(PathBytes.display(path)) from the snapshot: its directory is missing") }
            return again
        }
        return fd
    }

    private func check(_ result: Int32, _ operation: String, _ path: [UInt8]) throws {
        guard result == 0 else { throw Syscalls.Failure(operation: operation, errno: sindri_errno()).error(path: PathBytes.display(path)) }
    }

    func begin(_ entry: TarEntry) throws {
        guard case .path(let path) = MemberPath.normalize(entry.path), isWanted(path) else { return }
        switch entry.kind {
        case .directory:
            let parentFD = try parent(of: path)
            try withCPath(MemberPath.name(path)) { name in
                if let info = try? Syscalls.lstatAt(parentFD, name) {
                    guard ((info.st_mode & S_IFMT) == S_IFDIR) else {
                        throw SindriError(.rollbackFailed, "cannot restore directory \(PathBytes.display(path)): something else is in its place")
                    }
                } else {
                    try check(mkdirat(parentFD, name, 0o700), "mkdirat", path)
                }
            }
            var directory = entry
            directory.path = path
            directories.append(directory)
        case .regular:
            let name = nextTemporary()
            let file = try withCPath(name) { try Syscalls.openAt(temporary, $0, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600) }
            current = (file, name, path, entry)
        case .symbolicLink:
            let name = nextTemporary()
            try withCPath(entry.linkTarget) { target in try withCPath(name) { try check(symlinkat(target, temporary, $0), "symlinkat", path) } }
            try finishSpecial(name, path: path, entry: entry, chmod: false)
        case .fifo:
            let name = nextTemporary()
            try withCPath(name) { try check(mkfifoat(temporary, $0, mode_t(entry.mode & 0o777)), "mkfifoat", path) }
            try finishSpecial(name, path: path, entry: entry, chmod: true)
        case .characterDevice, .blockDevice:
            guard isRoot else { throw SindriError(.rollbackFailed, "cannot restore device \(PathBytes.display(path)) without root") }
            let name = nextTemporary()
            let type: mode_t = entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
            let (major, minor) = (UInt64(entry.deviceMajor), UInt64(entry.deviceMinor))
            // glibc's makedev encoding.
            let device = dev_t(((major & 0xFFFF_F000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFF_FF00) << 12) | (minor & 0xFF))
            try withCPath(name) { try check(mknodat(temporary, $0, type | mode_t(entry.mode & 0o777), device), "mknodat", path) }
            try finishSpecial(name, path: path, entry: entry, chmod: true)
        case .hardLink:
            guard case .path(let target) = MemberPath.normalize(entry.linkTarget) else {
                throw SindriError(.rollbackFailed, "\(PathBytes.display(path)): bad hard link target in the snapshot")
            }
            // The target is an earlier member of this snapshot, extracted by this pass (or an
            // entry of the home that was not replaced, and so is still the same file).
            let name = nextTemporary()
            var targetLookup = DirectoryCache(homeDescriptor: home)
            defer { targetLookup.closeAll() }
            let (targetParent, problem) = targetLookup.parent(of: target)
            guard problem == nil, targetParent >= 0 else {
                throw SindriError(.rollbackFailed, "\(PathBytes.display(path)): hard link target \(PathBytes.display(target)) is unavailable")
            }
            try withCPath(MemberPath.name(target)) { source in
                try withCPath(name) { try check(linkat(targetParent, source, temporary, $0, 0), "linkat", path) }
            }
            try moveIntoPlace(name, path: path)
        default:
            throw SindriError(.rollbackFailed, "\(PathBytes.display(path)): unsupported entry type in the snapshot")
        }
    }

    func content(_ slice: UnsafeRawBufferPointer) throws {
        if let current { try Syscalls.writeAll(current.file, slice) }
    }

    func end() throws {
        guard let item = current else { return }
        current = nil
        defer { Glibc.close(item.file) }
        if isRoot { try check(fchown(item.file, item.entry.uid, item.entry.gid), "fchown", item.path) }
        // After fchown, which clears set-user-ID bits.
        try check(fchmod(item.file, mode_t(item.entry.mode & 0o7777)), "fchmod", item.path)
        var times = [timespec(tv_sec: Int(item.entry.modificationTime), tv_nsec: 0), timespec(tv_sec: Int(item.entry.modificationTime), tv_nsec: 0)]
        try check(futimens(item.file, &times), "futimens", item.path)
        try moveIntoPlace(item.temporary, path: item.path)
    }

    private func finishSpecial(_ name: [UInt8], path: [UInt8], entry: TarEntry, chmod: Bool) throws {
        try withCPath(name) { entryName in
            if isRoot { try check(fchownat(temporary, entryName, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW), "fchownat", path) }
            // Only our own FIFO or device in the private temporary directory: no link to follow.
            if chmod { try check(fchmodat(temporary, entryName, mode_t(entry.mode & 0o7777), 0), "fchmodat", path) }
            var times = [timespec(tv_sec: Int(entry.modificationTime), tv_nsec: 0), timespec(tv_sec: Int(entry.modificationTime), tv_nsec: 0)]
            try check(utimensat(temporary, entryName, &times, AT_SYMLINK_NOFOLLOW), "utimensat", path)
        }
        try moveIntoPlace(name, path: path)
    }

    /// `rename` from the temporary directory over `path` (a directory there is refused by the
    /// kernel, never replaced).
    private func moveIntoPlace(_ name: [UInt8], path: [UInt8]) throws {
        let parentFD = try parent(of: path)
        try withCPath(name) { source in
            try withCPath(MemberPath.name(path)) { target in
                try check(renameat(temporary, source, parentFD, target), "renameat", path)
            }
        }
    }

    /// Mode, owner and mtime of the extracted directories, deepest (latest) first, through a
    /// descriptor opened without following links.
    func finishDirectories() throws {
        lookups.closeAll()
        for entry in directories.reversed() {
            let parentFD = try parent(of: entry.path)
            let fd = try withCPath(MemberPath.name(entry.path)) { try Syscalls.openAt(parentFD, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }
            defer { Glibc.close(fd) }
            if isRoot { try check(fchown(fd, entry.uid, entry.gid), "fchown", entry.path) }
            try check(fchmod(fd, mode_t(entry.mode & 0o7777)), "fchmod", entry.path)
            var times = [timespec(tv_sec: Int(entry.modificationTime), tv_nsec: 0), timespec(tv_sec: Int(entry.modificationTime), tv_nsec: 0)]
            try check(futimens(fd, &times), "futimens", entry.path)
        }
        directories.removeAll()
    }
}

/// Writes home entries into the snapshot's tar stream: files, symlinks, FIFOs, and directories
/// with everything below them, read through descriptors without following any symlink. A file
/// with several links is written once; its other names in the snapshot become hard links to it.
private struct SnapshotTreeWriter {
    let sink: SnapshotSink
    /// (device, inode) of multiply-linked files already written, and the path they went under.
    private var linked: [EntryIdentity: [UInt8]] = [:]

    init(sink: SnapshotSink) { self.sink = sink }

    mutating func write(parent: Int32, name: [UInt8], path: [UInt8], info: stat) async throws {
        var entry = TarEntry(path: path, kind: .regular, mode: UInt32(info.st_mode) & 0o7777, uid: UInt32(info.st_uid),
                             gid: UInt32(info.st_gid), modificationTime: Int64(info.st_mtim.tv_sec))
        switch (info.st_mode & S_IFMT) {
        case S_IFLNK:
            entry.kind = .symbolicLink
            entry.linkTarget = try withCPath(name) { try Syscalls.readLinkAt(parent, $0) }
            try await sink.write(TarHeaderEncoder.encode(entry))
        case S_IFIFO:
            entry.kind = .fifo
            try await sink.write(TarHeaderEncoder.encode(entry))
        case S_IFREG:
            let file = try withCPath(name) { try Syscalls.openAt(parent, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) }
            defer { close(file) }
            let opened = try Syscalls.fileStatus(file)
            guard ((opened.st_mode & S_IFMT) == S_IFREG) else { return }
            if opened.st_nlink > 1 {
                let key = EntryIdentity(opened)
                if let first = linked[key] {
                    entry.kind = .hardLink
                    entry.linkTarget = first
                    try await sink.write(TarHeaderEncoder.encode(entry))
                    return
                }
                linked[key] = path
            }
            entry.mode = UInt32(opened.st_mode) & 0o7777
            entry.size = UInt64(opened.st_size)
            try await sink.write(TarHeaderEncoder.encode(entry))
            try await sink.writeContent(of: file, size: entry.size)
            try await sink.writeZeros(TarHeaderEncoder.paddingCount(forSize: entry.size))
        case S_IFDIR:
            entry.kind = .directory
            try await sink.write(TarHeaderEncoder.encode(entry))
            let directory = try withCPath(name) { try Syscalls.openAt(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }
            defer { close(directory) }
            for child in try Self.names(directory) {
                // A child removed meanwhile is not saved; one that cannot be looked at stops the
                // snapshot (the directory is about to be replaced with everything in it).
                let childInfo: stat
                do {
                    childInfo = try withCPath(child) { try Syscalls.lstatAt(directory, $0) }
                } catch let failure as Syscalls.Failure where failure.errno == ENOENT {
                    continue
                }
                try await write(parent: directory, name: child, path: path + [UInt8(ascii: "/")] + child, info: childInfo)
            }
        default:
            // Sockets and device nodes cannot be put back from a tar by a user; they stay parked
            // in the transaction's aside directory until the commit like everything else.
            break
        }
    }

    /// The entry names of an open directory as raw bytes (names need not be UTF-8), sorted.
    static func names(_ directory: Int32) throws -> [[UInt8]] {
        let copy = dup(directory)
        guard copy >= 0 else { throw Syscalls.Failure(operation: "dup", errno: sindri_errno()) }
        guard let stream = fdopendir(copy) else {
            let code = sindri_errno()
            close(copy)
            throw Syscalls.Failure(operation: "fdopendir", errno: code)
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let item = readdir(stream) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw -> [UInt8] in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }
}

/// Compresses the snapshot's tar stream with the chosen codec on all cores and writes it out.
///
/// The stream is cut into 1 MiB blocks, each compressed on its own into a complete gzip member
/// (libdeflate level 1; incompressible blocks stored) or a complete LZ4 frame. Concatenated
/// members and frames are what `tar -xzf` and `lz4 -dc` read. A snapshot of a whole home is the
/// largest thing a restore writes besides the restore itself: compressing it on one core made a
/// full-mode restore over an existing home four times slower than the restore proper. At most
/// `window` blocks are in flight, and they are written in order.
private final class SnapshotSink {
    private static let blockSize = 1 << 20
    private let descriptor: Int32
    private let compressors: SnapshotCompressorPool
    private var buffer: [UInt8] = []
    /// Blocks compressing on the cores, written in order as they are taken.
    private let compressing = BoundedPipeline<[UInt8]>(width: 2 * max(1, ProcessInfo.processInfo.activeProcessorCount) + 1)

    init(descriptor: Int32, codec: SnapshotCodec) throws {
        self.descriptor = descriptor
        compressors = try SnapshotCompressorPool(codec: codec)
        buffer.reserveCapacity(Self.blockSize)
    }

    func write(_ bytes: [UInt8]) async throws {
        var position = 0
        while position < bytes.count {
            let taken = min(Self.blockSize - buffer.count, bytes.count - position)
            buffer.append(contentsOf: bytes[position..<(position + taken)])
            position += taken
            if buffer.count == Self.blockSize { try await submit() }
        }
    }

    func writeZeros(_ count: Int) async throws {
        try await write([UInt8](repeating: 0, count: count))
    }

    /// Appends `size` bytes of `file`, read straight into the block being filled. A file that
    /// shrank since it was examined is padded with zeros, so the tar stays well formed.
    func writeContent(of file: Int32, size: UInt64) async throws {
        var remaining = size
        var offset: Int64 = 0
        while remaining > 0 {
            let want = Int(min(UInt64(Self.blockSize - buffer.count), remaining))
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: want))
            // Fewer bytes than wanted: the file shrank, and the zeros already there pad it.
            let got = try buffer.withUnsafeMutableBytes { raw in
                try Syscalls.readFully(file, into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + want)]), at: offset)
            }
            assert(got <= want, "read more than asked")
            remaining -= UInt64(want)
            offset += Int64(want)
            if buffer.count == Self.blockSize { try await submit() }
        }
    }

    private func submit() async throws {
        guard !buffer.isEmpty else { return }
        let block = buffer
        buffer.removeAll(keepingCapacity: true)
        let compressors = self.compressors
        if let done = try await compressing.submit({ _ in try block.withUnsafeBytes { try compressors.compress($0) } }) {
            try writeOut(done)
        }
    }

    private func writeOut(_ compressed: [UInt8]) throws {
        try compressed.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0) }
    }

    func finish() async throws {
        try await submit()
        while let done = try await compressing.next() { try writeOut(done) }
    }
}

/// Compressors for snapshot blocks, one per concurrent worker (they hold C state that is not
/// thread-safe), reused across blocks: the backup's `CompressorPool` for gzip, LZ4 frame encoders
/// for lz4.
private final class SnapshotCompressorPool: @unchecked Sendable {
    private let gzip: CompressorPool?
    private let lock = NSLock()
    private var lz4: [LZ4FrameEncoder] = []

    init(codec: SnapshotCodec) throws {
        gzip = codec == .gzip ? try CompressorPool(level: 1, engine: .libdeflate, count: 0) : nil
    }

    /// The block as one complete gzip member or LZ4 frame.
    func compress(_ block: UnsafeRawBufferPointer) throws -> [UInt8] {
        if let gzip { return try gzip.compress(block, kind: .data) }
        lock.lock()
        let reused = lz4.popLast()
        lock.unlock()
        let encoder = try reused ?? LZ4FrameEncoder()
        defer { lock.lock(); lz4.append(encoder); lock.unlock() }
        var frame: [UInt8] = []
        try encoder.write(block, appendingTo: &frame)
        try encoder.finish(appendingTo: &frame)
        return frame
    }
}
