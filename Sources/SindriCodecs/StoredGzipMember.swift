/// A gzip member whose deflate data is STORED (uncompressed) blocks, written by hand, of a size known in advance.
///
/// The archive's first member holds the manifest. Its final content is only known at the end of a backup,
/// so the writer reserves `encodedSize(payloadSize:)` bytes, and rewrites the member in place once the
/// manifest (padded to the same payload size) is complete. Stored blocks make the size depend only on the
/// payload size, never on its content.
///
/// Layout: `GzipFormat.fixedHeader`; one stored block per 65,535 payload bytes (at least one, so an empty
/// payload is one empty final block), each a byte `BFINAL | BTYPE=00 << 1` (the block starts byte-aligned,
/// so the remaining five bits are padding), LEN and NLEN little-endian, then the bytes; CRC-32 and ISIZE.
public enum StoredGzipMember {
    /// The most bytes one deflate stored block can hold (LEN is 16 bits).
    public static let maximumBlockPayload = 65_535
    /// Bytes of framing per stored block: the BFINAL/BTYPE byte, LEN and NLEN.
    public static let blockOverhead = 5

    /// The exact size of the member `encode` writes for a payload of `payloadSize` bytes.
    public static func encodedSize(payloadSize: Int) -> Int {
        precondition(payloadSize >= 0, "payload size must not be negative")
        return GzipFormat.headerSize + blockCount(payloadSize: payloadSize) * blockOverhead + payloadSize
            + GzipFormat.trailerSize
    }

    /// Encodes `payload` as one complete stored gzip member.
    public static func encode(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        var member: [UInt8] = []
        member.reserveCapacity(encodedSize(payloadSize: payload.count))
        encode(payload, appendingTo: &member)
        return member
    }

    /// Encodes `payload` as one complete stored gzip member.
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        payload.withUnsafeBytes { encode($0) }
    }

    /// Appends a complete stored gzip member of `payload` to `output`.
    public static func encode(_ payload: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) {
        let start = output.count
        output.append(contentsOf: GzipFormat.fixedHeader)
        let blocks = blockCount(payloadSize: payload.count)
        for blockIndex in 0..<blocks {
            let lower = blockIndex * maximumBlockPayload
            let upper = min(lower + maximumBlockPayload, payload.count)
            let length = UInt16(upper - lower)
            let isFinal = blockIndex == blocks - 1
            output.append(isFinal ? 0x01 : 0x00)
            appendLittleEndian(length, to: &output)
            appendLittleEndian(~length, to: &output)
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[lower..<upper]))
        }
        appendLittleEndian(CRC32.checksum(payload), to: &output)
        appendLittleEndian(UInt32(truncatingIfNeeded: payload.count), to: &output)
        assert(output.count - start == encodedSize(payloadSize: payload.count))
    }

    /// Writes a complete stored gzip member of `payload` at the start of `output`; returns its size.
    ///
    /// `output` must hold `encodedSize(payloadSize: payload.count)` bytes. Used for blocks the
    /// `CompressibilityProbe` finds incompressible: copying them costs a `memcpy` and a CRC-32.
    public static func encode(_ payload: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let size = encodedSize(payloadSize: payload.count)
        precondition(output.count >= size, "output holds \(output.count) bytes, the member needs \(size)")
        guard let target = output.baseAddress else { return 0 }
        var cursor = 0
        func put(_ byte: UInt8) {
            target.storeBytes(of: byte, toByteOffset: cursor, as: UInt8.self)
            cursor += 1
        }
        func put32(_ value: UInt32) {
            for shift in stride(from: 0, to: 32, by: 8) { put(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
        for byte in GzipFormat.fixedHeader { put(byte) }
        let blocks = blockCount(payloadSize: payload.count)
        for blockIndex in 0..<blocks {
            let lower = blockIndex * maximumBlockPayload
            let upper = min(lower + maximumBlockPayload, payload.count)
            let length = UInt16(upper - lower)
            put(blockIndex == blocks - 1 ? 0x01 : 0x00)
            put(UInt8(truncatingIfNeeded: length))
            put(UInt8(truncatingIfNeeded: length >> 8))
            put(UInt8(truncatingIfNeeded: ~length))
            put(UInt8(truncatingIfNeeded: ~length >> 8))
            if let source = payload.baseAddress, upper > lower {
                (target + cursor).copyMemory(from: source + lower, byteCount: upper - lower)
                cursor += upper - lower
            }
        }
        put32(CRC32.checksum(payload))
        put32(UInt32(truncatingIfNeeded: payload.count))
        assert(cursor == size)
        return size
    }

    private static func blockCount(payloadSize: Int) -> Int {
        max(1, (payloadSize + maximumBlockPayload - 1) / maximumBlockPayload)
    }

    private static func appendLittleEndian<Integer: FixedWidthInteger>(_ value: Integer, to output: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
    }
}
