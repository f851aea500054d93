#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one error type the engine throws: what failed, on which path, and why.
///
/// Every message is a single line a user can act on; `underlying` keeps the
/// errno or library code for scripts and logs.
public struct SindriError: Error, Sendable, CustomStringConvertible, Equatable {
    /// Broad classes of failure, stable for scripts.
    public enum Code: String, Sendable, Codable {
        case invalidArgument
        case io
        case noSpace
        case archiveCorrupt
        case archiveUnsupported
        case verificationFailed
        case unsafeArchive
        case incompatibleVersion
        case conflict
        case locked
        case rolledBack
        case rollbackFailed
        case cancelled
        case `internal`
    }

    public var code: Code
    public var message: String
    /// The path the failure concerns, printed escaped.
    public var path: String?
    /// The system call or library operation that failed (e.g. `openat`, `inflate`).
    public var operation: String?
    /// The errno value, when a system call failed.
    public var errno: Int32?
    /// The lower-level error this one reports (a failed system call, a codec's error), kept for
    /// logs and tests; the message already says what it means for the user.
    public var cause: (any Error)?
    public var file: String
    public var line: Int

    public init(
        _ code: Code, _ message: String, path: String? = nil, operation: String? = nil,
        errno: Int32? = nil, cause: (any Error)? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.operation = operation
        self.errno = errno
        self.cause = cause
        self.file = file
        self.line = line
    }

    /// A failed system call on `path`, with the errno's text.
    public static func syscall(
        _ operation: String, errno: Int32, path: String?, file: String = #fileID, line: Int = #line
    ) -> SindriError {
        let code: Code = (errno == ENOSPC || errno == EDQUOT) ? .noSpace : .io
        let what = path.map { "\($0): " } ?? ""
        return SindriError(
            code, "\(what)\(operation) failed: \(String(cString: strerror(errno)))",
            path: path, operation: operation, errno: errno, cause: Syscalls.Failure(operation: operation, errno: errno),
            file: file, line: line)
    }

    public var description: String { message }

    // MARK: Archive input, worded once for list, verify and restore

    /// `-` was given while standard input is a terminal: refused at once, as GNU tar does,
    /// rather than waiting for an archive that is never typed.
    public static let standardInputIsTerminal = SindriError(
        .invalidArgument, "refusing to read archive contents from terminal (pipe an archive into standard input, or name a file)")

    /// The archive named on the command line cannot be opened (`errno` from `open`).
    public static func archiveCannotOpen(_ path: String, errno: Int32, operation: String = "openat") -> SindriError {
        let reason = errno == ENOENT ? "does not exist" : "cannot be read (\(String(cString: strerror(errno))))"
        return SindriError(.invalidArgument, "archive \(path) \(reason)", path: path, operation: operation, errno: errno)
    }

    /// The archive named on the command line is a directory or another kind of file that is not
    /// an archive (`mode` from `fstat`); nil when it is a regular file.
    public static func archiveNotAFile(_ path: String, mode: mode_t) -> SindriError? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return SindriError(.invalidArgument, "archive \(path) is a directory", path: path)
        default: return SindriError(.invalidArgument, "archive \(path) is not a regular file", path: path)
        }
    }

    /// A size for messages: `1.5 GiB (1610612736 bytes)`, so free-space errors read at a glance
    /// and still give the exact count.
    public static func size(_ bytes: UInt64) -> String {
        bytes < 1024 ? "\(bytes) bytes" : "\(BinaryUnits.text(bytes)) (\(bytes) bytes)"
    }

    public static func == (a: SindriError, b: SindriError) -> Bool {
        a.code == b.code && a.message == b.message && a.path == b.path && a.errno == b.errno
    }
}
