/// Why an age file could not be read or written, in the categories of the format's test vectors.
///
/// `message` is one sentence in user words; callers prefix it with the file's name.
public struct AgeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, as the age specification's test vectors classify failures.
    public enum Kind: Equatable, Sendable {
        /// The header is malformed (not canonical, bad stanza, unsupported version, ...).
        case header
        /// No identity given could open any recipient stanza: wrong key or passphrase.
        case noMatch
        /// A file key was found but the header's MAC does not match: the header was changed.
        case headerMAC
        /// The encrypted payload is damaged, truncated or has trailing data.
        case payload
        /// A recipient, identity or passphrase given by the user is unusable.
        case key
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func header(_ message: String) -> AgeError { AgeError(.header, message) }
    static func payload(_ message: String) -> AgeError { AgeError(.payload, message) }
    static func key(_ message: String) -> AgeError { AgeError(.key, message) }
}
