import CSindriSystem
import Foundation
import SindriArchive
import SindriCodecs
#if canImport(Glibc)
import Glibc
#endif

/// The pre-restore snapshot: a standard tar of exactly the home entries a restore will replace
/// or modify, in `<home>/.sindri/restore-snapshots/snapshot-<id>.tar.gz` (or `.tar.lz4`).
///
/// `tar -xzf` (or `lz4 -dc | tar -x`) of it in the home puts the originals back by hand, as the
/// guide's manual rollback describes; `sindri rollback` extracts from it the same way, through
/// the descriptor-relative, symlink-refusing path used everywhere else.
enum RestoreSnapshot {
    static let directory = "\(TOOL_STATE_DIRECTORY)/restore-snapshots"

    static func fileName(identifier: String, codec: SnapshotCodec) -> String {
        "snapshot-\(identifier).\(codec.fileExtension)"
    }

    /// Writes the snapshot of `paths` (files and symlinks) atomically; returns its home-relative path.
    static func write(home: Int32, identifier: String, paths: [[UInt8]], codec: SnapshotCodec) throws -> String {
        _ = try ToolState.ensureDirectory(home)
        do { try Syscalls.makeDirectoryAt(home, directory, mode: 0o700) } catch let failure as Syscalls.Failure where failure.errno == EEXIST {
        } catch let failure as Syscalls.Failure { throw failure.error(path: directory) }
        let name = fileName(identifier: identifier, codec: codec)
        let directoryFD: Int32
        do { directoryFD = try FileOpener.openBeneath(home, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) } catch let failure as Syscalls.Failure {
            throw failure.error(path: directory)
        }
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
                _ = unlinkat(directoryFD, temporary, 0)
            }
        }
        let sink = try SnapshotSink(descriptor: fd, codec: codec)
        var lookups = DirectoryCache(homeDescriptor: home)
        defer { lookups.closeAll() }
        for path in paths {
            try Interruption.checkpoint()
            let (parentFD, problem) = lookups.parent(of: path)
            guard problem == nil, parentFD >= 0 else { continue }
            let name = MemberPath.name(path)
            guard let info = try? withCPath(name, { try Syscalls.lstatAt(parentFD, $0) }) else { continue }
            var entry = TarEntry(path: path, kind: .regular, mode: UInt32(info.st_mode) & 0o7777, uid: UInt32(info.st_uid),
                                 gid: UInt32(info.st_gid), modificationTime: info.modificationSeconds)
            if info.isSymlink {
                entry.kind = .symbolicLink
                entry.linkTarget = (try? withCPath(name) { try Syscalls.readLinkAt(parentFD, $0) }) ?? []
                try sink.write(TarHeaderEncoder.encode(entry))
            } else if info.isRegular {
                let file = try withCPath(name) { try Syscalls.openAt(parentFD, $0, O_RDONLY | O_NOFOLLOW) }
                defer { close(file) }
                entry.size = UInt64(info.st_size)
                try sink.write(TarHeaderEncoder.encode(entry))
                try sink.writeContent(of: file, size: entry.size)
                try sink.writeZeros(TarHeaderEncoder.paddingCount(forSize: entry.size))
            }
        }
        try sink.write(TarHeaderEncoder.endOfArchive())
        try sink.finish()
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

    /// Extracts the entries at or below `paths` from a snapshot into the home, replacing what is
    /// there (through a temporary name and `rename`, never writing through a link).
    static func extract(home: Int32, snapshot: String, paths: [[UInt8]]) throws {
        let codec: SnapshotCodec = snapshot.hasSuffix(".lz4") ? .lz4 : .gzip
        let fd: Int32
        do { fd = try FileOpener.openBeneath(home, snapshot, O_RDONLY | O_NOFOLLOW) } catch let failure as Syscalls.Failure {
            throw failure.error(path: snapshot)
        }
        defer { close(fd) }
        var reader = TarReader()
        var current: (parent: Int32, temporary: String, name: [UInt8], entry: TarEntry, file: Int32)?
        var lookups = DirectoryCache(homeDescriptor: home)
        defer { lookups.closeAll() }
        let wanted = paths
        func handle(_ event: TarEvent) throws {
            switch event {
            case .entry(let member):
                let entry = member.entry
                guard case .path(let path) = MemberPath.normalize(entry.path),
                      wanted.contains(where: { PathBytes.isSameOrBelow(path, $0) }) else { return }
                let (parentFD, problem) = lookups.parent(of: path)
                guard problem == nil, parentFD >= 0 else {
                    throw SindriError(.rollbackFailed, "cannot restore \(PathBytes.display(path)) from the snapshot: \(problem ?? "its directory is missing")")
                }
                // A fresh name each time (created exclusively below), so no entry of the user's is removed.
                var random = SystemRandomNumberGenerator()
                let temporary = ".sindri-rollback-\(getpid())-\(String(random.next() & 0xFFFF_FFFF, radix: 16))"
                if entry.kind == .symbolicLink {
                    try withCPath(entry.linkTarget) { target in
                        guard symlinkat(target, parentFD, temporary) == 0 else { throw Syscalls.Failure(operation: "symlinkat", errno: sindri_errno()) }
                    }
                    try withCPath(MemberPath.name(path)) { try Syscalls.renameAt(parentFD, temporary, parentFD, $0) }
                } else if entry.kind == .regular {
                    let file = try Syscalls.openAt(parentFD, temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
                    current = (parentFD, temporary, MemberPath.name(path), entry, file)
                }
            case .content(let slice):
                if let current { try Syscalls.writeAll(current.file, slice) }
            case .endOfEntry:
                if let item = current {
                    _ = fchmod(item.file, mode_t(item.entry.mode & 0o1777))
                    if geteuid() == 0 { _ = fchown(item.file, item.entry.uid, item.entry.gid) }
                    var times = [timespec(tv_sec: Int(item.entry.modificationTime), tv_nsec: 0), timespec(tv_sec: Int(item.entry.modificationTime), tv_nsec: 0)]
                    _ = futimens(item.file, &times)
                    try Syscalls.sync(item.file)
                    try Syscalls.closeChecked(item.file)
                    try withCPath(item.name) { try Syscalls.renameAt(item.parent, item.temporary, item.parent, $0) }
                    current = nil
                }
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
        } catch let error as SindriError {
            throw error
        } catch let failure as Syscalls.Failure {
            throw SindriError(.rollbackFailed, "reading snapshot \(snapshot) failed: \(failure)")
        } catch {
            throw SindriError(.rollbackFailed, "snapshot \(snapshot) is damaged: \(error)")
        }
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
    private var inFlight: [SnapshotBlockJob] = []
    private let window = 2 * max(1, ProcessInfo.processInfo.activeProcessorCount) + 1

    init(descriptor: Int32, codec: SnapshotCodec) throws {
        self.descriptor = descriptor
        compressors = try SnapshotCompressorPool(codec: codec)
        buffer.reserveCapacity(Self.blockSize)
    }

    func write(_ bytes: [UInt8]) throws {
        var position = 0
        while position < bytes.count {
            let taken = min(Self.blockSize - buffer.count, bytes.count - position)
            buffer.append(contentsOf: bytes[position..<(position + taken)])
            position += taken
            if buffer.count == Self.blockSize { try submit() }
        }
    }

    func writeZeros(_ count: Int) throws {
        try write([UInt8](repeating: 0, count: count))
    }

    /// Appends `size` bytes of `file`, read straight into the block being filled. A file that
    /// shrank since it was examined is padded with zeros, so the tar stays well formed.
    func writeContent(of file: Int32, size: UInt64) throws {
        var remaining = size
        var offset: Int64 = 0
        while remaining > 0 {
            let want = Int(min(UInt64(Self.blockSize - buffer.count), remaining))
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: want))
            _ = try buffer.withUnsafeMutableBytes { raw in
                try Syscalls.readFully(file, into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + want)]), at: offset)
            }
            remaining -= UInt64(want)
            offset += Int64(want)
            if buffer.count == Self.blockSize { try submit() }
        }
    }

    private func submit() throws {
        guard !buffer.isEmpty else { return }
        if inFlight.count >= window { try writeOldest() }
        let job = SnapshotBlockJob(input: buffer)
        buffer.removeAll(keepingCapacity: true)
        let compressors = self.compressors
        DispatchQueue.global(qos: .userInitiated).async {
            job.run(compressors)
        }
        inFlight.append(job)
    }

    private func writeOldest() throws {
        let job = inFlight.removeFirst()
        BlockingWaits.assertAllowed("the snapshot writer waiting for a block")
        job.done.wait()
        if let error = job.error { throw error }
        try job.output.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0) }
    }

    func finish() throws {
        try submit()
        while !inFlight.isEmpty { try writeOldest() }
    }
}

/// One block of the snapshot being compressed on a worker thread.
private final class SnapshotBlockJob: @unchecked Sendable {
    let input: [UInt8]
    var output: [UInt8] = []
    var error: Error?
    let done = DispatchSemaphore(value: 0)

    init(input: [UInt8]) { self.input = input }

    func run(_ compressors: SnapshotCompressorPool) {
        do { output = try input.withUnsafeBytes { try compressors.compress($0) } } catch { self.error = error }
        done.signal()
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
