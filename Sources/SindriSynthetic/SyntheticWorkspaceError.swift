#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a synthetic workspace could not be generated, with the path, the system call and its errno.
public struct SyntheticWorkspaceError: Error, Sendable, CustomStringConvertible {
    /// The broad reason.
    public enum Code: Sendable, Hashable {
        /// The destination exists and is not an empty directory; the generator never mixes with existing files.
        case destinationNotEmpty
        /// The spec cannot be honoured (for example a negative size).
        case invalidSpec
        /// A system call failed; `call` and `errno` say which and why.
        case systemCallFailed
    }

    /// The broad reason.
    public let code: Code
    /// The path being created, or the root.
    public let path: String
    /// The failing system call, such as `open` or `utimensat`.
    public let call: String?
    /// The `errno` the call reported.
    public let errno: Int32?
    /// Where in the generator the failure was detected.
    public let location: String

    /// Creates an error; `location` defaults to the caller's file and line.
    public init(
        code: Code, path: String, call: String? = nil, errno: Int32? = nil,
        file: StaticString = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.path = path
        self.call = call
        self.errno = errno
        location = "\(file):\(line)"
    }

    public var description: String {
        switch code {
        case .destinationNotEmpty:
            return "refusing to generate into \(path): it is not an empty directory"
        case .invalidSpec:
            return "invalid workspace spec for \(path)"
        case .systemCallFailed:
            let reason = errno.map { String(cString: strerror($0)) + " (errno \($0))" } ?? "unknown error"
            return "\(call ?? "system call") failed for \(path): \(reason) [\(location)]"
        }
    }
}
