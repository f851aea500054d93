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
                var remaining = entry.size
                var offset: Int64 = 0
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while remaining > 0 {
                    let want = Int(min(UInt64(buffer.count), remaining))
                    let count = try buffer.withUnsafeMutableBytes { try Syscalls.readFully(file, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]), at: offset) }
                    if count < want { for index in count..<want { buffer[index] = 0 } }
                    try sink.write(Array(buffer[0..<want]))
                    remaining -= UInt64(want)
                    offset += Int64(want)
                }
                try sink.write([UInt8](repeating: 0, count: TarHeaderEncoder.paddingCount(forSize: entry.size)))
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

/// Compresses the snapshot's tar stream with the chosen codec and writes it out.
private final class SnapshotSink {
    private let descriptor: Int32
    private let codec: SnapshotCodec
    private var buffer: [UInt8] = []
    private let gzip: BlockMemberCompressor?
    private let lz4: LZ4FrameEncoder?

    init(descriptor: Int32, codec: SnapshotCodec) throws {
        self.descriptor = descriptor
        self.codec = codec
        gzip = codec == .gzip ? try BlockMemberCompressor(level: 1) : nil
        lz4 = codec == .lz4 ? try LZ4FrameEncoder() : nil
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try drain() }
    }

    private func drain() throws {
        guard !buffer.isEmpty else { return }
        var out: [UInt8] = []
        if let gzip {
            out = try buffer.withUnsafeBytes { try gzip.compress($0, kind: .data) }
        } else if let lz4 {
            try buffer.withUnsafeBytes { try lz4.write($0, appendingTo: &out) }
        }
        try out.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0) }
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        try drain()
        if let lz4 {
            var out: [UInt8] = []
            try lz4.finish(appendingTo: &out)
            try out.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0) }
        }
    }
}
