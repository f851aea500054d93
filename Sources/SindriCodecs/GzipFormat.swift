/// Constants of the gzip member layout (RFC 1952) as Sindri writes it.
///
/// Every member Sindri emits, whichever engine compressed it, starts with the same ten bytes: magic 1f 8b,
/// CM 8 (deflate), FLG 0 (no name, comment, extra field or header CRC), MTIME 0, XFL 0 and OS 3 (Unix).
/// libdeflate writes OS 255 ("unknown") and zlib and libdeflate both vary XFL with the level, so the
/// compressors overwrite those two bytes; the header is not covered by the member's CRC-32, so this is safe.
/// Fixed bytes make archives reproducible and golden-file tests meaningful.
public enum GzipFormat {
    /// Size of the fixed header Sindri writes.
    public static let headerSize = 10
    /// Size of the trailer: CRC-32 then ISIZE, both little-endian.
    public static let trailerSize = 8
    /// The OS byte Sindri writes: 3, Unix, what GNU gzip writes on Linux.
    public static let operatingSystemUnix: UInt8 = 3
    /// The XFL byte Sindri writes for every level: 0, so output does not depend on how XFL is derived.
    public static let extraFlags: UInt8 = 0
    /// The exact header of every member Sindri writes.
    public static let fixedHeader: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, extraFlags, operatingSystemUnix,
    ]
    /// First magic byte.
    public static let magic1: UInt8 = 0x1f
    /// Second magic byte.
    public static let magic2: UInt8 = 0x8b

    /// Overwrites XFL and OS of a member header that a C library wrote, making it `fixedHeader`.
    static func normalizeHeader(_ member: UnsafeMutableRawBufferPointer) {
        precondition(member.count >= headerSize, "a gzip member is at least \(headerSize) bytes")
        member[8] = extraFlags
        member[9] = operatingSystemUnix
    }
}
