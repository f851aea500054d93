import CLibdeflate

/// Inflates one whole gzip member whose decoded size is known from the archive's block index.
///
/// Restore reads members by offset and inflates them in parallel, one decompressor per worker.
/// `libdeflate_gzip_decompress_ex` checks the header, the deflate data, CRC-32 and ISIZE; this type also
/// checks that the member filled exactly `uncompressedSize` bytes and ended exactly at the end of the given
/// bytes, so a wrong index entry is an error rather than silently shifted data.
///
/// Not `Sendable`: the decompressor owns mutable C state. Create one per worker.
public final class GzipMemberDecompressor {
    private let decompressor: OpaquePointer

    /// Allocates libdeflate's decompressor state (about 32 KiB, reused for every member).
    ///
    /// - Throws: `CodecError` `.outOfMemory` if `libdeflate_alloc_decompressor` fails.
    public init() throws(CodecError) {
        guard let decompressor = libdeflate_alloc_decompressor() else {
            throw CodecError(
                kind: .outOfMemory, operation: "libdeflate_alloc_decompressor", library: .libdeflate,
                message: "could not allocate a decompressor")
        }
        self.decompressor = decompressor
    }

    deinit {
        libdeflate_free_decompressor(decompressor)
    }

    /// Inflates `member` into `output`, which must be exactly the member's decoded size.
    ///
    /// - Throws: `CodecError` `.corruptData` (bad header, deflate data, CRC-32 or ISIZE: libdeflate does not
    ///   say which), `.sizeMismatch` (decoded size differs from `output.count`, the member ends before the
    ///   end of `member`, or its last bytes are missing, which libdeflate reports as insufficient space).
    public func decompressMember(
        _ member: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(CodecError) {
        var consumed = 0
        var produced = 0
        var placeholder: UInt8 = 0
        let result = withUnsafeMutablePointer(to: &placeholder) { placeholderPointer in
            libdeflate_gzip_decompress_ex(
                decompressor, member.baseAddress ?? UnsafeRawPointer(placeholderPointer), member.count,
                output.baseAddress ?? UnsafeMutableRawPointer(placeholderPointer), output.count, &consumed,
                &produced)
        }
        let operation = "libdeflate_gzip_decompress_ex"
        switch result {
        case LIBDEFLATE_SUCCESS:
            break
        case LIBDEFLATE_BAD_DATA:
            throw CodecError(
                kind: .corruptData, operation: operation, library: .libdeflate, returnCode: Int(result.rawValue),
                message: "invalid gzip member: bad header, deflate data, CRC-32 or ISIZE (\(member.count) bytes)")
        case LIBDEFLATE_INSUFFICIENT_SPACE:
            throw CodecError(
                kind: .sizeMismatch, operation: operation, library: .libdeflate, returnCode: Int(result.rawValue),
                message: "member does not decode to exactly \(output.count) bytes: it needs more room, or its end "
                    + "is missing (libdeflate reads a cut-off trailer as more data)")
        default:
            throw CodecError(
                kind: .libraryFailure, operation: operation, library: .libdeflate, returnCode: Int(result.rawValue),
                message: "libdeflate result \(result.rawValue)")
        }
        guard produced == output.count else {
            throw CodecError(
                kind: .sizeMismatch, operation: operation, library: .libdeflate,
                message: "member decodes to \(produced) bytes, expected \(output.count)")
        }
        guard consumed == member.count else {
            throw CodecError(
                kind: .sizeMismatch, operation: operation, library: .libdeflate,
                message: "member ends after \(consumed) of the \(member.count) bytes given")
        }
    }

    /// Inflates `member`, which must decode to exactly `uncompressedSize` bytes.
    public func decompressMember(_ member: UnsafeRawBufferPointer, uncompressedSize: Int) throws(CodecError) -> [UInt8] {
        guard uncompressedSize >= 0 else {
            throw CodecError(
                kind: .invalidArgument, operation: "GzipMemberDecompressor.decompressMember", library: .sindri,
                message: "uncompressed size \(uncompressedSize) is negative")
        }
        var failure: CodecError?
        let bytes = [UInt8](unsafeUninitializedCapacity: uncompressedSize) { buffer, initializedCount in
            do throws(CodecError) {
                try decompressMember(member, into: UnsafeMutableRawBufferPointer(buffer))
                initializedCount = uncompressedSize
            } catch {
                failure = error
                initializedCount = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Inflates `member`, which must decode to exactly `uncompressedSize` bytes.
    public func decompressMember(_ member: [UInt8], uncompressedSize: Int) throws(CodecError) -> [UInt8] {
        let result = member.withUnsafeBytes { bytes in
            Result { () throws(CodecError) -> [UInt8] in try decompressMember(bytes, uncompressedSize: uncompressedSize) }
        }
        return try result.get()
    }
}

@available(*, unavailable, message: "GzipMemberDecompressor owns mutable C state; use one per worker")
extension GzipMemberDecompressor: Sendable {}
