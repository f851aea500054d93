import Foundation
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// An archive read from a local file or standard input, with a skip that seeks when it can.
///
/// Blocking: callers run it on a dedicated thread (see `BlockingExecutor`), never on the
/// cooperative pool.
public final class FileByteSource: ArchiveByteSource {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// Whether `skip` can `lseek` (a regular file) rather than read and discard (a pipe).
    private let seekable: Bool
    public let totalBytes: UInt64?
    public let name: String

    /// Opens `path` for reading; `-` is standard input.
    ///
    /// - Throws: `SindriError` `.invalidArgument` when the file cannot be opened, is a directory
    ///   or a device, or when standard input is a terminal.
    public init(path: String) throws {
        if path == "-" {
            if isatty(STDIN_FILENO) == 1 { throw SindriError.standardInputIsTerminal }
            descriptor = STDIN_FILENO
            ownsDescriptor = false
            name = "standard input"
        } else {
            do {
                descriptor = try Syscalls.openAt(AT_FDCWD, path, O_RDONLY)
            } catch let failure as Syscalls.Failure {
                throw SindriError.archiveCannotOpen(path, errno: failure.errno, operation: failure.operation)
            }
            ownsDescriptor = true
            name = path
        }
        var info = stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            seekable = true
            totalBytes = UInt64(info.st_size)
        } else {
            // A pipe or a terminal streams; a directory or a device is no archive.
            if ownsDescriptor, fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) != S_IFIFO,
               let refusal = SindriError.archiveNotAFile(path, mode: info.st_mode) {
                close(descriptor)
                throw refusal
            }
            seekable = false
            totalBytes = nil
        }
    }

    deinit {
        // Opened read-only: its close has nothing to report.
        if ownsDescriptor { close(descriptor) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if buffer.isEmpty { return 0 }
        do {
            return try Syscalls.readSome(descriptor, into: buffer)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: name)
        }
    }

    public func skip(_ count: Int) throws -> Int {
        if seekable {
            let position = lseek(descriptor, 0, SEEK_CUR)
            if position >= 0, let totalBytes {
                if UInt64(position) + UInt64(count) > totalBytes { return Int(totalBytes - UInt64(position)) }
                if lseek(descriptor, off_t(count), SEEK_CUR) >= 0 { return count }
            }
        }
        return try discard(count)
    }
}
