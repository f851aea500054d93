/// A journal that cannot be read back, with where and why.
///
/// A torn last line is not an error (see ``JournalCodec/decodeJournal(_:)``); this is thrown for
/// damage that a crash cannot explain, which means the journal cannot be trusted to drive an
/// automatic rollback: the user is pointed at the pre-restore snapshot instead.
public struct JournalDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Kind: String, Sendable, Hashable {
        /// A line other than the last one fails its checksum or is malformed: damage in the middle.
        case corruptLine
        /// A line passes its checksum but is not a record this version understands (unknown type,
        /// unknown format version, a path that would leave the home).
        case invalidRecord
    }

    /// What is wrong.
    public var kind: Kind
    /// The 1-based line number in the journal.
    public var lineNumber: Int
    /// The offset of the line's first byte in the journal.
    public var byteOffset: Int
    /// A one-line explanation.
    public var message: String

    /// Creates an error.
    public init(kind: Kind, lineNumber: Int, byteOffset: Int, message: String) {
        self.kind = kind
        self.lineNumber = lineNumber
        self.byteOffset = byteOffset
        self.message = message
    }

    /// `journal line 7 (byte 812): checksum mismatch`.
    public var description: String {
        "journal line \(lineNumber) (byte \(byteOffset)): \(message)"
    }
}
