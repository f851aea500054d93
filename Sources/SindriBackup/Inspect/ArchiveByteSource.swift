import Foundation
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// Sequential reads from an archive file or standard input, with a skip that seeks when it can.
///
/// Blocking: callers run it on a dedicated thread (see `BlockingExecutor`), never on the
/// cooperative pool.
package final class ArchiveByteSource {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// Whether `skip` can `lseek` (a regular file) rather than read and discard (a pipe).
    private let seekable: Bool
    /// The file's size when it is a regular file.
    let fileSize: UInt64?
    /// A name for messages: the path, or "standard input".
    let name: String

    /// Opens `path` for reading; `-` is standard input.
    ///
    /// - Throws: `SindriError` `.invalidArgument` when the file cannot be opened or is a directory.
    package init(path: String) throws {
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
            fileSize = UInt64(info.st_size)
        } else {
            // A pipe or a terminal streams; a directory or a device is no archive.
            if ownsDescriptor, fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) != S_IFIFO,
               let refusal = SindriError.archiveNotAFile(path, mode: info.st_mode) {
                close(descriptor)
                throw refusal
            }
            seekable = false
            fileSize = nil
        }
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Appends up to `count` bytes to `buffer`; returns how many (0 at the end of the input).
    package func read(upTo count: Int, appendingTo buffer: inout [UInt8]) throws -> Int {
        let start = buffer.count
        buffer.append(contentsOf: [UInt8](repeating: 0, count: count))
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + start, count)
            }
            if result >= 0 {
                buffer.removeLast(count - result)
                return result
            }
            if errno == EINTR { continue }
            let code = errno
            buffer.removeLast(count)
            throw SindriError.syscall("read", errno: code, path: name)
        }
    }

    /// Moves `count` bytes forward; returns how many bytes there were to move over (less than
    /// `count` when the input ended first).
    func skip(_ count: Int) throws -> Int {
        if seekable {
            let position = lseek(descriptor, 0, SEEK_CUR)
            if position >= 0, let fileSize {
                if UInt64(position) + UInt64(count) > fileSize { return Int(fileSize - UInt64(position)) }
                if lseek(descriptor, off_t(count), SEEK_CUR) >= 0 { return count }
            }
        }
        var remaining = count
        var scratch: [UInt8] = []
        while remaining > 0 {
            scratch.removeAll(keepingCapacity: true)
            let got = try read(upTo: min(remaining, 1 << 20), appendingTo: &scratch)
            if got == 0 { break }
            remaining -= got
        }
        return count - remaining
    }
}
