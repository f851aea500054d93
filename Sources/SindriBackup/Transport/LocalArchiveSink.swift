import CSindriSystem
import Crypto
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// An archive written to a local file or to standard output.
///
/// For a file it writes under a temporary name in the destination directory, and only
/// `commit()` (fsync, rename, fsync of the directory) makes it appear at the final path, so a
/// failed or killed backup never leaves a partial archive there nor damages one already there.
/// It also hashes the data members (the manifest's `checksum`) as they go by.
///
/// Names: an automatic name (`-o DIR/`) never replaces anything. It is claimed with
/// `renameat2(RENAME_NOREPLACE)`, so of two backups finishing in the same second each gets its
/// own file (`…-2.tar.gz`, `…-3.tar.gz`); a name whose `.sha256` exists is passed over too. A
/// name given explicitly (`-o FILE`) is replaced, atomically by the rename.
// @unchecked: its mutable state is only touched by the single writer, one call at a time on
// the engine's thread (the `ArchiveSink` contract).
final class LocalArchiveSink: ArchiveSink, @unchecked Sendable {
    /// The archive's path; for an automatic name, the name actually claimed once committed.
    private(set) var finalPath: String?
    /// Whether the tool chose the name (it may then take a numbered suffix, and never replaces).
    let automaticName: Bool
    private let directoryDescriptor: Int32
    private let temporaryName: String?
    let descriptor: Int32
    private(set) var bytesWritten: UInt64 = 0
    private var dataHasher = SHA256()
    private var committed = false
    /// What was cleaned up in the output directory before writing (stale temporary files).
    private(set) var notes: [String] = []

    /// Creates the temporary file next to `path` (or uses stdout when `path` is nil).
    init(finalPath: String?, automaticName: Bool = false) throws {
        self.finalPath = finalPath
        self.automaticName = automaticName
        guard let finalPath else {
            directoryDescriptor = -1
            temporaryName = nil
            descriptor = STDOUT_FILENO
            return
        }
        let url = URL(fileURLWithPath: finalPath)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        do {
            directoryDescriptor = try Syscalls.openAt(AT_FDCWD, directory, O_RDONLY | O_DIRECTORY)
        } catch let failure as Syscalls.Failure {
            throw SindriError(.invalidArgument, "output directory \(directory) cannot be used: \(String(cString: strerror(failure.errno)))",
                              path: directory, operation: "open", errno: failure.errno)
        }
        notes = StaleTemporaryFiles.removeAll(in: directoryDescriptor, directory: directory)
        let temporary = Self.temporaryName(for: name)
        do {
            descriptor = try Syscalls.openAt(directoryDescriptor, temporary, O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
        } catch let failure as Syscalls.Failure {
            close(directoryDescriptor)
            throw SindriError(.invalidArgument, "cannot write in output directory \(directory): \(String(cString: strerror(failure.errno)))",
                              path: directory, operation: "openat", errno: failure.errno)
        }
        temporaryName = temporary
    }

    /// `.NAME.sindri-tmp-<pid>-<random>`: hidden, unique, and recognizable by
    /// `StaleTemporaryFiles` as ours and as belonging to this process.
    static func temporaryName(for name: String) -> String {
        var random = SystemRandomNumberGenerator()
        return ".\(name).sindri-tmp-\(getpid())-\(String(random.next() & 0xFFFF_FFFF, radix: 16))"
    }

    deinit {
        if !committed { abort() }
    }

    /// The temporary file's identity, so the walk never archives the archive.
    var identity: FileIdentity? {
        guard finalPath != nil, let info = try? Syscalls.fileStatus(descriptor) else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    var location: String? { finalPath }
    var canReplaceStart: Bool { finalPath != nil }

    func commit(replacingStartWith start: [UInt8]?) throws -> String? {
        guard finalPath != nil else { return nil }
        if let start { try rewrite(start, at: 0) }
        return try commit(wholeFileChecksum: try wholeFileChecksum())
    }

    /// Appends bytes; `isData` marks the data members the archive checksum covers.
    func write(_ bytes: [UInt8], isData: Bool) throws {
        if isData { bytes.withUnsafeBytes { dataHasher.update(bufferPointer: $0) } }
        do {
            try bytes.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0) }
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: finalPath ?? "standard output")
        }
        bytesWritten += UInt64(bytes.count)
    }

    /// The hex SHA256 of the data members written so far.
    func dataChecksum() -> String {
        FileDigest.hex(dataHasher.finalize())
    }

    /// Overwrites bytes at `offset` (the fixed-size manifest member).
    private func rewrite(_ bytes: [UInt8], at offset: UInt64) throws {
        do {
            try bytes.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0, at: Int64(offset)) }
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: finalPath)
        }
    }

    /// The hex SHA256 of the whole file as written (for the `.sha256` sidecar).
    private func wholeFileChecksum() throws -> String {
        do {
            return FileDigest.hex(try FileDigest.sha256(of: descriptor))
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: finalPath)
        }
    }

    /// Makes the archive durable and visible at its final path, with its `.sha256` sidecar
    /// beside it; returns the sidecar's path (nil for stdout).
    ///
    /// The order leaves no sidecar that belongs to another archive, whenever the process dies:
    /// the new sidecar is written and fsynced under a temporary name first; an old sidecar at the
    /// explicit path is removed (and the removal made durable) before the archive is renamed over
    /// the old archive; only then is the new sidecar renamed into place. A kill in between leaves
    /// the old archive without a sidecar, or the new one without a sidecar, never a wrong pair.
    private func commit(wholeFileChecksum: String) throws -> String? {
        guard let finalPath, let temporaryName else { return nil }
        do {
            try Syscalls.sync(descriptor)
            guard fchmod(descriptor, 0o644 & ~currentUmask()) == 0 else { throw Syscalls.Failure(operation: "fchmod", errno: sindri_errno()) }
            try Syscalls.closeChecked(descriptor)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: finalPath)
        }
        let url = URL(fileURLWithPath: finalPath)
        let directory = url.deletingLastPathComponent().path
        let name: String
        let sidecarTemporary: String
        if automaticName {
            name = try claimAutomaticName(url.lastPathComponent, directory: directory)
            committed = true
            self.finalPath = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            sidecarTemporary = try writeSidecarTemporary(wholeFileChecksum, archiveName: name)
        } else {
            name = url.lastPathComponent
            sidecarTemporary = try writeSidecarTemporary(wholeFileChecksum, archiveName: name)
            do {
                try Syscalls.unlinkAt(directoryDescriptor, name + ".sha256")
                try Syscalls.sync(directoryDescriptor)
            } catch let failure as Syscalls.Failure where failure.errno == ENOENT {
                // No old sidecar.
            } catch let failure as Syscalls.Failure {
                discardSidecarTemporary(sidecarTemporary)
                throw failure.error(path: finalPath + ".sha256")
            }
            do {
                try Syscalls.renameAt(directoryDescriptor, temporaryName, directoryDescriptor, name)
            } catch let failure as Syscalls.Failure {
                discardSidecarTemporary(sidecarTemporary)
                throw failure.error(path: finalPath)
            }
            committed = true
        }
        let sidecarPath = self.finalPath! + ".sha256"
        do {
            try Syscalls.renameAt(directoryDescriptor, sidecarTemporary, directoryDescriptor, name + ".sha256")
            try Syscalls.sync(directoryDescriptor)
        } catch let failure as Syscalls.Failure {
            discardSidecarTemporary(sidecarTemporary)
            throw failure.error(path: sidecarPath)
        }
        // A directory opened read-only: its close has nothing left to report (the fsync did).
        close(directoryDescriptor)
        return sidecarPath
    }

    /// Renames the temporary file to the first free name among `NAME`, `NAME-2`, `NAME-3`, …
    /// (the suffix goes before `.tar.gz` or `.tar.gz.age`). `RENAME_NOREPLACE` makes the claim atomic: two
    /// processes can never both get one name.
    private func claimAutomaticName(_ base: String, directory: String) throws -> String {
        let suffix = base.hasSuffix(".tar.gz.age") ? ".tar.gz.age" : ".tar.gz"
        let stem = base.hasSuffix(suffix) ? String(base.dropLast(suffix.count)) : base
        for attempt in 1...10_000 {
            let candidate = attempt == 1 ? base : (base.hasSuffix(suffix) ? "\(stem)-\(attempt)\(suffix)" : "\(base)-\(attempt)")
            // A sidecar without its archive still names an archive someone made: leave the name alone.
            if (try? withCPath(Array((candidate + ".sha256").utf8), { try Syscalls.lstatAt(directoryDescriptor, $0) })) != nil { continue }
            if sindri_rename_noreplace(directoryDescriptor, temporaryName!, directoryDescriptor, candidate) == 0 { return candidate }
            let code = sindri_errno()
            if code == EEXIST { continue }
            if code == EINVAL || code == ENOSYS {
                // A filesystem without RENAME_NOREPLACE: link(2) also refuses an existing name atomically.
                if linkat(directoryDescriptor, temporaryName!, directoryDescriptor, candidate, 0) == 0 {
                    do {
                        try Syscalls.unlinkAt(directoryDescriptor, temporaryName!)
                    } catch let failure as Syscalls.Failure {
                        throw failure.error(path: directory + "/" + temporaryName!)
                    }
                    return candidate
                }
                let linkCode = sindri_errno()
                if linkCode == EEXIST { continue }
                throw SindriError.syscall("linkat", errno: linkCode, path: directory + "/" + candidate)
            }
            throw SindriError.syscall("renameat2", errno: code, path: directory + "/" + candidate)
        }
        throw SindriError(.io, "no free archive name in \(directory) for \(base)", path: directory)
    }

    /// The sidecar's content, written and fsynced under a temporary name in the output directory.
    private func writeSidecarTemporary(_ checksum: String, archiveName: String) throws -> String {
        let temporary = Self.temporaryName(for: archiveName + ".sha256")
        let contents = Array("\(checksum)  \(archiveName)\n".utf8)
        do {
            let fd = try Syscalls.openAt(directoryDescriptor, temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
            do {
                try contents.withUnsafeBytes { try Syscalls.writeAll(fd, $0) }
                try Syscalls.sync(fd)
                try Syscalls.closeChecked(fd)
            } catch {
                close(fd)
                discardSidecarTemporary(temporary)
                throw error
            }
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: (finalPath ?? archiveName) + ".sha256")
        }
        return temporary
    }

    /// Removes a sidecar's temporary file after a failure; the failure being reported matters
    /// more, and a file left behind is removed by the next backup into this directory.
    private func discardSidecarTemporary(_ temporary: String) {
        if unlinkat(directoryDescriptor, temporary, 0) != 0 {
            notes.append("could not remove the temporary file \(temporary): \(String(cString: strerror(sindri_errno())))")
        }
    }

    /// Removes the temporary file (nothing appears at the final path).
    func abort() {
        guard let temporaryName, !committed else { return }
        committed = true
        close(descriptor)
        // Best effort on a path that is already failing: a file left behind is a stale temporary
        // file that the next backup into this directory removes.
        if unlinkat(directoryDescriptor, temporaryName, 0) != 0 {
            let code = sindri_errno()
            FileHandle.standardError.write(Data("sindri: could not remove the temporary file \(temporaryName): \(String(cString: strerror(code)))\n".utf8))
        }
        close(directoryDescriptor)
    }
}

/// Temporary files that killed backups left in an output directory.
///
/// Only our own names are touched: `.NAME.sindri-tmp-<pid>` or `.NAME.sindri-tmp-<pid>-<hex>`,
/// a regular file owned by this user, whose process no longer exists (`kill(pid, 0)` says
/// `ESRCH`), and that nothing wrote for a minute (a backup on another machine sharing the
/// directory over the network keeps writing its file; its pid means nothing here).
enum StaleTemporaryFiles {
    /// Seconds without a write before a dead process's file counts as stale.
    static let quietSeconds: Int = 60

    /// The pid a name of ours carries, or nil when the name is not one of ours.
    static func ownerPid(of name: [UInt8]) -> pid_t? {
        guard name.first == UInt8(ascii: "."), let marker = name.firstRange(of: Array(".sindri-tmp-".utf8)),
              marker.lowerBound > 1 else { return nil }
        let rest = name[marker.upperBound...]
        let parts = rest.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let digits = parts.first, !digits.isEmpty, digits.count <= 10,
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        if parts.count == 2 {
            let hex = parts[1]
            guard !hex.isEmpty, hex.count <= 16, hex.allSatisfy(isLowercaseHexDigit) else { return nil }
        }
        guard let pid = Int32(String(decoding: digits, as: UTF8.self)), pid > 0 else { return nil }
        return pid
    }

    private static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// Removes the stale temporary files in `directory`; returns one line per file removed (or
    /// that could not be removed).
    static func removeAll(in directoryDescriptor: Int32, directory: String, now: time_t = time(nil)) -> [String] {
        let listing = dup(directoryDescriptor)
        guard listing >= 0, let stream = fdopendir(listing) else {
            if listing >= 0 { close(listing) }
            return []
        }
        defer { closedir(stream) }
        var notes: [String] = []
        let me = geteuid()
        while let entry = readdir(stream) {
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                return Array(bytes[0..<(bytes.firstIndex(of: 0) ?? bytes.count)])
            }
            guard let pid = ownerPid(of: name), pid != getpid() else { continue }
            guard kill(pid, 0) != 0, sindri_errno() == ESRCH else { continue }
            guard let info = try? withCPath(name, { try Syscalls.lstatAt(directoryDescriptor, $0) }),
                  ((info.st_mode & S_IFMT) == S_IFREG), info.st_uid == me, now - info.st_mtim.tv_sec >= quietSeconds else { continue }
            let display = PathBytes.display(name)
            let place = directory.hasSuffix("/") ? directory + display : directory + "/" + display
            do {
                try withCPath(name) { try Syscalls.unlinkAt(directoryDescriptor, $0) }
                notes.append("removed \(place), a temporary file left by an interrupted backup (process \(pid))")
            } catch let failure as Syscalls.Failure {
                notes.append("could not remove \(place), a temporary file left by an interrupted backup: \(String(cString: strerror(failure.errno)))")
            } catch {
                continue
            }
        }
        return notes
    }
}

/// The process umask, read without changing it for longer than two calls.
func currentUmask() -> mode_t {
    let mask = umask(0o022)
    umask(mask)
    return mask
}
