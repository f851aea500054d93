import CSindriSystem
import Crypto
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
#endif

/// Where an archive goes: a named file, a file named by the tool inside a directory, or stdout.
public enum BackupOutput: Sendable, Equatable {
    /// Exactly this file path.
    case file(String)
    /// `sindri-backup-{name}-{timestamp}.tar.gz` inside this existing directory.
    case directory(String)
    /// The archive on standard output.
    case standardOutput

    /// Interprets a `--output` argument: `-` is stdout, an existing directory or a path ending in
    /// `/` is a directory, anything else is the archive's path.
    public static func parse(_ argument: String) -> BackupOutput {
        if argument == "-" { return .standardOutput }
        if argument.hasSuffix("/") { return .directory(argument) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
            return .directory(argument)
        }
        return .file(argument)
    }
}

/// The single ordered writer of an archive.
///
/// For a file it writes under a temporary name in the destination directory, and only
/// `commit()` (fsync, rename, fsync of the directory) makes it appear at the final path, so a
/// failed or killed backup never leaves a partial archive there nor damages one already there.
/// It also hashes the data members (the manifest's `checksum`) as they go by.
final class ArchiveOutput: @unchecked Sendable {
    let finalPath: String?
    private let directoryDescriptor: Int32
    private let temporaryName: String?
    let descriptor: Int32
    private(set) var bytesWritten: UInt64 = 0
    private var dataHasher = SHA256()
    private var committed = false

    /// Creates the temporary file next to `path` (or uses stdout when `path` is nil).
    init(finalPath: String?) throws {
        self.finalPath = finalPath
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
        var random = SystemRandomNumberGenerator()
        let temporary = ".\(name).sindri-tmp-\(getpid())-\(String(random.next() & 0xFFFF_FFFF, radix: 16))"
        do {
            descriptor = try Syscalls.openAt(directoryDescriptor, temporary, O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
        } catch let failure as Syscalls.Failure {
            close(directoryDescriptor)
            throw SindriError(.invalidArgument, "cannot write in output directory \(directory): \(String(cString: strerror(failure.errno)))",
                              path: directory, operation: "openat", errno: failure.errno)
        }
        temporaryName = temporary
    }

    deinit {
        if !committed { abort() }
    }

    /// The temporary file's identity, so the walk never archives the archive.
    var identity: FileIdentity? {
        guard finalPath != nil, let info = try? Syscalls.fileStatus(descriptor) else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
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
    func rewrite(_ bytes: [UInt8], at offset: UInt64) throws {
        do {
            try bytes.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0, at: Int64(offset)) }
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: finalPath)
        }
    }

    /// The hex SHA256 of the whole file as written (for the `.sha256` sidecar).
    func wholeFileChecksum() throws -> String {
        do {
            return FileDigest.hex(try FileDigest.sha256(of: descriptor))
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: finalPath)
        }
    }

    /// Makes the archive durable and visible at its final path (fsync, rename, fsync directory).
    func commit() throws {
        guard let finalPath, let temporaryName else { return }
        let name = URL(fileURLWithPath: finalPath).lastPathComponent
        do {
            try Syscalls.sync(descriptor)
            _ = fchmod(descriptor, 0o644 & ~currentUmask())
            try Syscalls.closeChecked(descriptor)
            try Syscalls.renameAt(directoryDescriptor, temporaryName, directoryDescriptor, name)
            committed = true
            try Syscalls.sync(directoryDescriptor)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: finalPath)
        }
        close(directoryDescriptor)
    }

    /// Removes the temporary file (nothing appears at the final path).
    func abort() {
        guard let temporaryName, !committed else { return }
        committed = true
        close(descriptor)
        _ = unlinkat(directoryDescriptor, temporaryName, 0)
        close(directoryDescriptor)
    }

    /// Writes a small file atomically next to the archive (temp, fsync, rename).
    static func writeSidecar(_ contents: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = ".\(url.lastPathComponent).sindri-tmp-\(getpid())"
        do {
            let dirfd = try Syscalls.openAt(AT_FDCWD, directory, O_RDONLY | O_DIRECTORY)
            defer { close(dirfd) }
            let fd = try Syscalls.openAt(dirfd, temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
            do {
                try contents.withUnsafeBytes { try Syscalls.writeAll(fd, $0) }
                try Syscalls.sync(fd)
                try Syscalls.closeChecked(fd)
            } catch {
                close(fd)
                _ = unlinkat(dirfd, temporary, 0)
                throw error
            }
            try Syscalls.renameAt(dirfd, temporary, dirfd, url.lastPathComponent)
            try Syscalls.sync(dirfd)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: path)
        }
    }
}

/// The process umask, read without changing it for longer than two calls.
func currentUmask() -> mode_t {
    let mask = umask(0o022)
    umask(mask)
    return mask
}
