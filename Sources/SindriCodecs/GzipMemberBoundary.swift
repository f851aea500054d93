/// Where one gzip member lies in the compressed file and in the uncompressed stream.
///
/// `GzipStreamDecoder` reports one per completed member so that verify can check the archive's block index
/// (offsets of the members and of the tar bytes they hold) against the file as it really is.
public struct GzipMemberBoundary: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Offset of the member's first byte (1f) in the compressed input.
    public var compressedOffset: Int
    /// The member's size in bytes, header and trailer included.
    public var compressedLength: Int
    /// Offset of the member's first decoded byte in the concatenated uncompressed stream.
    public var uncompressedOffset: Int
    /// Number of bytes the member decodes to.
    public var uncompressedLength: Int

    /// Creates a boundary record.
    public init(compressedOffset: Int, compressedLength: Int, uncompressedOffset: Int, uncompressedLength: Int) {
        self.compressedOffset = compressedOffset
        self.compressedLength = compressedLength
        self.uncompressedOffset = uncompressedOffset
        self.uncompressedLength = uncompressedLength
    }

    /// `compressed <offset>+<length> -> uncompressed <offset>+<length>`.
    public var description: String {
        "compressed \(compressedOffset)+\(compressedLength) -> uncompressed \(uncompressedOffset)+\(uncompressedLength)"
    }
}
