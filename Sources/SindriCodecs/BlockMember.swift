/// What a self-describing block member holds: tar data the archive checksum covers, or the
/// tool's trailing metadata.
public enum BlockMemberKind: UInt8, Sendable {
    /// A block of the data members (subfield `SB`).
    case data = 0x42
    /// A block of the trailer: checksums, summary, end of archive (subfield `ST`).
    case trailer = 0x54
}

/// The sizes a block member records about itself in its gzip header.
public struct BlockMemberHeader: Sendable, Equatable {
    public var kind: BlockMemberKind
    /// The whole member's size in the file, header and trailer included.
    public var compressedLength: Int
    /// The bytes it inflates to.
    public var uncompressedLength: Int

    /// Bytes of the fixed header of a block member: 10 + XLEN (2) + one 12-byte subfield.
    public static let size = 24

    /// Parses the header at the start of `bytes`; nil when it is not a block member (an
    /// ordinary gzip member, for example the manifest's or one written by another tool).
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> BlockMemberHeader? {
        guard bytes.count >= size, bytes[0] == 0x1F, bytes[1] == 0x8B, bytes[2] == 8, bytes[3] == 0x04,
              bytes[10] == 12, bytes[11] == 0, bytes[12] == UInt8(ascii: "S"), bytes[14] == 8, bytes[15] == 0,
              let kind = BlockMemberKind(rawValue: bytes[13]) else { return nil }
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        let compressed = u32(16)
        guard compressed >= size + GzipFormat.trailerSize else { return nil }
        return BlockMemberHeader(kind: kind, compressedLength: compressed, uncompressedLength: u32(20))
    }
}

/// Compresses one block of the tar stream into a self-describing gzip member.
///
/// The member is standard RFC 1952 (every gzip reader skips the FEXTRA field), but its extra
/// subfield `S` + kind records the member's compressed and uncompressed sizes, like BGZF does.
/// A reader can therefore hop from member to member and inflate them in parallel, even when
/// the archive arrives on a pipe and no index at the end can be reached.
public final class BlockMemberCompressor {
    private let compressor: GzipMemberCompressor
    /// Blocks must fit the 32-bit size fields.
    public static let maximumBlockSize = 64 << 20

    public init(level: Int, engine: DeflateEngine = .libdeflate) throws(CodecError) {
        compressor = try GzipMemberCompressor(level: level, engine: engine)
    }

    /// One complete member for `input`.
    public func compress(_ input: UnsafeRawBufferPointer, kind: BlockMemberKind) throws(CodecError) -> [UInt8] {
        guard input.count <= Self.maximumBlockSize else {
            throw CodecError(kind: .invalidArgument, operation: "compress block", library: .sindri,
                             message: "block of \(input.count) bytes exceeds \(Self.maximumBlockSize)")
        }
        // Reserve the extra field's 14 bytes, then let the compressor append a plain member whose
        // 10-byte header we overwrite: [14 reserved][10 header][deflate][trailer] becomes
        // [10 header][2 XLEN][12 subfield][deflate][trailer] without copying the data.
        var output = [UInt8](repeating: 0, count: 14)
        output.reserveCapacity(14 + compressor.maxMemberSize(inputSize: input.count))
        try compressor.compressMember(input, appendingTo: &output)
        let total = output.count
        let header: [UInt8] = [
            0x1F, 0x8B, 0x08, 0x04, 0, 0, 0, 0, GzipFormat.extraFlags, GzipFormat.operatingSystemUnix,
            12, 0, UInt8(ascii: "S"), kind.rawValue, 8, 0,
            UInt8(truncatingIfNeeded: total), UInt8(truncatingIfNeeded: total >> 8),
            UInt8(truncatingIfNeeded: total >> 16), UInt8(truncatingIfNeeded: total >> 24),
            UInt8(truncatingIfNeeded: input.count), UInt8(truncatingIfNeeded: input.count >> 8),
            UInt8(truncatingIfNeeded: input.count >> 16), UInt8(truncatingIfNeeded: input.count >> 24),
        ]
        output.withUnsafeMutableBufferPointer { buffer in
            for index in 0..<header.count { buffer[index] = header[index] }
        }
        return output
    }
}
