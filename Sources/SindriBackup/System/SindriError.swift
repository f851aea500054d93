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
    public var file: String
    public var line: Int

    public init(
        _ code: Code, _ message: String, path: String? = nil, operation: String? = nil,
        errno: Int32? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.operation = operation
        self.errno = errno
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
            path: path, operation: operation, errno: errno, file: file, line: line)
    }

    public var description: String { message }

    public static func == (a: SindriError, b: SindriError) -> Bool {
        a.code == b.code && a.message == b.message && a.path == b.path && a.errno == b.errno
    }
}
