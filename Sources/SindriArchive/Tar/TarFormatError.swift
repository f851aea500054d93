/// Why a tar stream was rejected, and where.
///
/// The reader is meant for hostile input: every malformed or ambiguous construct ends the read
/// with one of these errors instead of a guess, a trap or an unbounded allocation.
public struct TarFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: Sendable, Hashable {
        /// The header's checksum field matches neither the unsigned nor the signed byte sum
        /// (both are accepted, like GNU tar): the block is corrupt or not a tar header at all.
        case badChecksum
        /// A numeric field is not valid octal (digits, then only spaces or NULs), not valid
        /// base-256, or its value does not fit the entry's type (for example a uid above
        /// `UInt32.max`, a size above `UInt64.max`, a negative size).
        case badNumericField(field: TarHeaderField)
        /// The magic field is neither POSIX `"ustar\0"`, GNU `"ustar  \0"` nor empty (v7).
        case unknownFormat
        /// A pax extended header is not a sequence of well-formed `"<len> key=value\n"` records
        /// whose decimal length counts exactly the record's bytes; the reason says which rule broke.
        case malformedPax(reason: String)
        /// A pax extended or global header declares more data than the reader's limit.
        case paxHeaderTooLarge(size: UInt64)
        /// A pax keyword that changes how the content must be read and that this reader does not
        /// implement (`GNU.sparse.*`); reading on would deliver wrong bytes.
        case unsupportedPaxKeyword(String)
        /// A pax global header (`'g'`) sets a keyword that would change later members (`path`,
        /// `linkpath`, `size`, `uid`, `gid`, `mtime`). Global headers that carry only comments
        /// or unknown keys (like `git archive`'s commit id) are skipped.
        case unsupportedGlobalHeader(keyword: String)
        /// A typeflag whose content layout this reader does not implement: GNU sparse (`'S'`),
        /// multi-volume continuation (`'M'`), old GNU long names (`'N'`), volume label (`'V'`)
        /// and incremental dump directory (`'D'`).
        case unsupportedHeader(typeflag: UInt8)
        /// A GNU long name or long link (`'L'`/`'K'`) declares more data than the reader's limit.
        case nameTooLong(size: UInt64)
        /// A path or link target contains a NUL byte inside its declared length.
        case embeddedNul
        /// A member's path is empty.
        case emptyPath
        /// A `'L'`, `'K'` or `'x'` header is followed by the end-of-archive marker instead of the
        /// real header it should apply to.
        case orphanExtendedHeader(typeflag: UInt8)
        /// Two headers of the same metadata type (`'L'`, `'K'` or `'x'`) precede one member; no
        /// writer does this and the tools disagree on which one wins.
        case duplicateExtendedHeader(typeflag: UInt8)
        /// A link, device, FIFO or directory declares a non-zero size (GNU tar and Python disagree
        /// on whether content follows, so the stream is ambiguous), or a regular file whose name
        /// ends with `/` (the v7 spelling of a directory) declares content.
        case unexpectedSize(size: UInt64)
        /// The stream ended inside a member, inside a header, or before the two zero blocks that
        /// mark the end of an archive.
        case truncated
        /// A single zero block is followed by a non-zero block: the end-of-archive marker is two
        /// zero blocks, and GNU tar would stop reading here.
        case loneZeroBlock
        /// Non-zero bytes follow the end-of-archive marker (only zero padding may follow it).
        case trailingData
    }

    /// What was wrong.
    public var kind: Kind
    /// Offset in the uncompressed tar stream of the header block (or byte) where it was found;
    /// for `.truncated`, the offset where the stream ended.
    public var offset: UInt64

    /// Creates an error of `kind` found at `offset`.
    public init(_ kind: Kind, at offset: UInt64) {
        self.kind = kind
        self.offset = offset
    }

    /// A one-line explanation naming the stream offset.
    public var description: String {
        "tar format error at byte \(offset): \(explanation)"
    }

    private var explanation: String {
        switch kind {
        case .badChecksum:
            return "header checksum does not match"
        case .badNumericField(let field):
            return "numeric field '\(field.rawValue)' is malformed or out of range"
        case .unknownFormat:
            return "header magic is neither ustar, GNU nor v7"
        case .malformedPax(let reason):
            return "malformed pax extended header: \(reason)"
        case .paxHeaderTooLarge(let size):
            return "pax extended header of \(size) bytes exceeds the limit"
        case .unsupportedPaxKeyword(let keyword):
            return "unsupported pax keyword '\(keyword)'"
        case .unsupportedGlobalHeader(let keyword):
            return "pax global header sets '\(keyword)', which this reader refuses"
        case .unsupportedHeader(let typeflag):
            return "unsupported header typeflag \(Self.describe(typeflag: typeflag))"
        case .nameTooLong(let size):
            return "GNU long name or link of \(size) bytes exceeds the limit"
        case .embeddedNul:
            return "path or link target contains a NUL byte"
        case .emptyPath:
            return "member has an empty path"
        case .orphanExtendedHeader(let typeflag):
            return "extended header \(Self.describe(typeflag: typeflag)) is not followed by a member"
        case .duplicateExtendedHeader(let typeflag):
            return "two extended headers \(Self.describe(typeflag: typeflag)) precede one member"
        case .unexpectedSize(let size):
            return "member of a kind without content declares size \(size)"
        case .truncated:
            return "archive is truncated"
        case .loneZeroBlock:
            return "a single zero block is followed by data"
        case .trailingData:
            return "non-zero data after the end-of-archive marker"
        }
    }

    private static func describe(typeflag: UInt8) -> String {
        if typeflag >= 0x21 && typeflag < 0x7F {
            return "'\(Character(Unicode.Scalar(typeflag)))'"
        }
        return "0x" + String(typeflag, radix: 16)
    }
}
