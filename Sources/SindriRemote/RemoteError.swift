/// One error type for everything remote: a kind the command maps to an exit code, and one line
/// in user words that never contains a credential.
public struct RemoteError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No usable credentials, or the server refused them (403, SignatureDoesNotMatch).
        case credentials
        /// No such bucket or key (404).
        case notFound
        /// The bucket lives in another region than the one we signed for.
        case wrongRegion
        /// A bad `s3://` or `https://` location or option.
        case invalidLocation
        /// The server or the network failed after every retry.
        case transport
        /// The server answered something we cannot use.
        case protocolError
        /// A conditional write found an object already there.
        case conflict
        /// The operation was cancelled (a signal).
        case cancelled
    }

    public let kind: Kind
    public let message: String
    /// The HTTP status, when there was an answer.
    public let status: Int?
    /// The S3 error code (`NoSuchKey`, `SignatureDoesNotMatch`), when the server gave one.
    public let code: String?

    public init(_ kind: Kind, _ message: String, status: Int? = nil, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
    }

    public var description: String { message }
}
