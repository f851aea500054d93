/// The one error type of SindriCodecs: which operation failed, in which library, with which return code and why.
///
/// Every C return code that is not success is mapped to a `CodecError` at the call site, so a failure deep in a
/// restore says "inflate (zlib) returned -3 at compressed byte 1048590: incorrect data check" rather than a bare
/// integer. `kind` is the stable, matchable part; `message` is the library's detail, for logs and tests;
/// `description` is what a user sees: one plain sentence that names the place in the file ("corrupt data in
/// gzip member 3 at byte 2097187", "truncated after byte 5000: ..."), without type or library names.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, independent of the library that noticed it.
    public enum Kind: String, Sendable, Equatable {
        /// A parameter is out of range (compression level, buffer size, input too large for the C API).
        case invalidArgument
        /// The input does not start with the gzip magic bytes 1f 8b.
        case notGzip
        /// The input does not start with an LZ4 frame magic number.
        case notLZ4
        /// The input contained no bytes at all.
        case empty
        /// A gzip or LZ4 header is malformed (unknown method, reserved flags, header checksum).
        case badHeader
        /// The CRC-32 (gzip) or xxHash32 content/block checksum (LZ4) of the decoded data does not match.
        case checksumMismatch
        /// The gzip ISIZE field does not match the number of decoded bytes.
        case lengthMismatch
        /// The compressed data is not a valid deflate or LZ4 block stream.
        case corruptData
        /// The input ended inside a member or frame.
        case truncated
        /// Bytes after the last complete member or frame do not start another one.
        case trailingGarbage
        /// A member decoded to a size other than the caller's index said, or did not span exactly the given bytes.
        case sizeMismatch
        /// The output buffer given to the C library was too small (a bug in our bound computation if it happens).
        case outputTooSmall
        /// The C library could not allocate its state.
        case outOfMemory
        /// The codec was used after an earlier error or out of order (for example feed after finish).
        case invalidState
        /// Any other failure reported by the C library.
        case libraryFailure
    }

    /// The library that reported the failure, or `.sindri` when our own framing code detected it.
    public enum Library: String, Sendable, Equatable {
        /// zlib (streaming deflate/inflate, `crc32_combine`).
        case zlib
        /// libdeflate (whole-buffer gzip members, CRC-32).
        case libdeflate
        /// liblz4's frame API.
        case lz4
        /// SindriCodecs' own framing checks (gzip magic, trailing bytes, sizes).
        case sindri
    }

    /// The matchable category of the failure.
    public var kind: Kind
    /// The C function or codec step that failed, for example `"inflate"` or `"libdeflate_gzip_decompress_ex"`.
    public var operation: String
    /// The library that reported it.
    public var library: Library
    /// The raw C return code (zlib `Z_*`, `libdeflate_result`, `LZ4F_errorCodes`), or nil when Sindri detected it.
    public var returnCode: Int?
    /// One line describing the failure, including the library's own message when it has one.
    public var message: String
    /// Offset in the compressed input at which the failure was detected, when the codec streams over a file.
    public var byteOffset: Int?
    /// The gzip member (1-based, counted from the start of the input) the failure is in, when known.
    public var member: Int?
    /// The offset in the compressed input at which that member starts.
    public var memberOffset: Int?

    /// Creates an error; codecs call this at the point where a C return code is mapped.
    public init(
        kind: Kind, operation: String, library: Library, returnCode: Int? = nil, message: String,
        byteOffset: Int? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.library = library
        self.returnCode = returnCode
        self.message = message
        self.byteOffset = byteOffset
    }

    /// The same error seen from further out: `members` members and `bytes` bytes came before the
    /// input this codec was given (a reader that handed only the tail of a file to a decoder).
    public func shifted(members: Int, bytes: Int) -> CodecError {
        var copy = self
        copy.member = member.map { $0 + members }
        copy.memberOffset = memberOffset.map { $0 + bytes }
        copy.byteOffset = byteOffset.map { $0 + bytes }
        return copy
    }

    /// One line for the operation, the library and its return code (for logs, never for users).
    public var technicalDescription: String {
        var text = "\(operation) (\(library.rawValue))"
        if let returnCode { text += " returned \(returnCode)" }
        if let byteOffset { text += " at compressed byte \(byteOffset)" }
        return text + ": \(message) [\(kind.rawValue)]"
    }

    /// One plain sentence for a user: what is wrong and where in the file.
    public var description: String {
        let inMember = member.map { "gzip member \($0)" } ?? "a gzip member"
        var at = memberOffset.map { ", which starts at byte \($0)" } ?? ""
        if let byteOffset { at += memberOffset == nil ? " at byte \(byteOffset)" : " (detected at byte \(byteOffset))" }
        switch kind {
        case .notGzip:
            return "not a gzip file"
        case .notLZ4:
            return "not an LZ4 file"
        case .empty:
            return "the archive is empty"
        case .truncated:
            let end = byteOffset.map { "truncated after \($0) bytes" } ?? "truncated"
            guard let member else { return end }
            return end + ": the input ends inside gzip member \(member)"
                + (memberOffset.map { ", which starts at byte \($0)" } ?? "")
        case .checksumMismatch:
            return "corrupt data in \(inMember)\(at) (its checksum does not match)"
        case .lengthMismatch:
            return "corrupt data in \(inMember)\(at) (its length does not match)"
        case .badHeader, .corruptData, .sizeMismatch:
            return "corrupt data in \(inMember)\(at)"
        case .trailingGarbage:
            let after = member.map { " after gzip member \($0 - 1)" } ?? " after the last gzip member"
            return "unexpected data\(after)" + (byteOffset.map { " at byte \($0)" } ?? "")
                + ": the file is damaged or has something appended"
        case .invalidArgument, .outputTooSmall, .outOfMemory, .invalidState, .libraryFailure:
            return message
        }
    }
}
