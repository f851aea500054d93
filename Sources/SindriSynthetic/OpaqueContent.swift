/// Already-compressed files: a realistic header, random bytes, and a trailer where the format has one.
///
/// Random bytes come from xoshiro256** eight at a time, so even hundreds of megabytes of packs cost little time,
/// and no compressor can shrink them, exactly like real packs, JPEGs and tarballs.
enum OpaqueContent {
    /// Streams exactly `size` bytes of a `format` file to `sink` in pieces of at most `chunkCapacity` bytes.
    static func render(
        _ format: OpaqueFormat, size: Int, seed: UInt64, chunk: inout [UInt8], chunkCapacity: Int,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        var rng = Xoshiro256StarStar(seed: seed)
        var header: [UInt8] = []
        var trailer: [UInt8] = []
        makeFraming(format, size: size, rng: &rng, header: &header, trailer: &trailer)
        if header.count + trailer.count > size {
            trailer.removeAll()
            header.removeLast(max(0, header.count - size))
        }
        var remainingRandom = size - header.count - trailer.count
        chunk.removeAll(keepingCapacity: true)
        chunk.append(contentsOf: header)
        while true {
            let room = chunkCapacity - chunk.count
            let take = min(room, remainingRandom)
            if take > 0 {
                let start = chunk.count
                chunk.append(contentsOf: repeatElement(0, count: take))
                chunk.withUnsafeMutableBytes { rng.fill(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
                remainingRandom -= take
            }
            if remainingRandom == 0 {
                chunk.append(contentsOf: trailer)
                try chunk.withUnsafeBytes(sink)
                return
            }
            try chunk.withUnsafeBytes(sink)
            chunk.removeAll(keepingCapacity: true)
        }
    }

    private static func makeFraming(
        _ format: OpaqueFormat, size: Int, rng: inout Xoshiro256StarStar, header: inout [UInt8], trailer: inout [UInt8]
    ) {
        switch format {
        case .png:
            header = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
            appendBigEndian(UInt32(64 + rng.below(3000)), to: &header)
            appendBigEndian(UInt32(64 + rng.below(2000)), to: &header)
            header += [8, rng.chance(50) ? 6 : 2, 0, 0, 0]
            appendBigEndian(UInt32(truncatingIfNeeded: rng.next()), to: &header)
            appendBigEndian(UInt32(max(0, size - 57)), to: &header)
            header += Array("IDAT".utf8) + [0x78, 0xDA]
            trailer = [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        case .jpeg:
            header = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 72, 0, 72, 0, 0]
            header += [0xFF, 0xDB, 0x00, 0x43, 0x00]
            for index in 0..<64 { header.append(UInt8(2 + index / 3 + rng.below(3))) }
            header += [0xFF, 0xC0, 0x00, 0x11, 0x08]
            appendBigEndian(UInt16(240 + rng.below(3000)), to: &header)
            appendBigEndian(UInt16(320 + rng.below(4000)), to: &header)
            header += [0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xDA, 0x00, 0x0C, 0x03]
            header += [0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00]
            trailer = [0xFF, 0xD9]
        case .gitPack:
            header = Array("PACK".utf8) + [0, 0, 0, 2]
            appendBigEndian(UInt32(max(1, size / 900)), to: &header)
        case .gitPackIndex:
            header = [0xFF, 0x74, 0x4F, 0x63, 0, 0, 0, 2]
            let objects = max(1, size / 28)
            for bucket in 1...256 { appendBigEndian(UInt32(objects * bucket / 256), to: &header) }
        case .gitLooseObject:
            header = [0x78, 0x01]
        case .gzipArchive:
            header = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]
            trailer = [0, 0, 0, 0, 0, 0, 0, 0]
        case .zipArchive:
            header = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]
            trailer = [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)
        }
    }

    private static func appendBigEndian<Value: FixedWidthInteger>(_ value: Value, to output: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { output.append(contentsOf: $0) }
    }
}
