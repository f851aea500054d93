import CLibdeflate
import CZlib

/// CRC-32 (the gzip/zlib polynomial), for checking members and combining per-block checksums.
///
/// `checksum` uses libdeflate's PCLMUL-accelerated implementation; `combine` uses zlib's `crc32_combine`,
/// which libdeflate lacks. Both follow zlib's convention: the checksum of nothing is 0 and a running
/// checksum is continued by passing it as `seed`.
public enum CRC32 {
    /// The CRC-32 of `bytes`, continuing from `seed` (0 to start). Calls `libdeflate_crc32`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        // libdeflate_crc32 returns 0 (not the seed) for a NULL buffer, so empty input is answered here.
        guard let base = bytes.baseAddress, bytes.count > 0 else { return seed }
        return libdeflate_crc32(seed, base, bytes.count)
    }

    /// The CRC-32 of `bytes`, continuing from `seed` (0 to start).
    public static func checksum(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }

    /// The CRC-32 of A followed by B, given `crc1` of A, `crc2` of B and B's length. Calls zlib `crc32_combine`.
    public static func combine(_ crc1: UInt32, _ crc2: UInt32, length2: Int) -> UInt32 {
        precondition(length2 >= 0, "length2 must not be negative")
        return UInt32(truncatingIfNeeded: crc32_combine(UInt(crc1), UInt(crc2), length2))
    }
}
