/// Machine-code-like bytes that compress like real binaries (deflate about 2.5-3x).
///
/// Large binaries are assembled from a pool of 64 KiB segments built once per workspace: code made of x86-64-like
/// instruction patterns, symbol string tables, pointer tables, opaque resources and padding. Segments are longer
/// than deflate's 32 KiB window, so reusing them does not make files compress better than their own structure
/// allows, and building files by copying segments keeps generation fast.
struct ExecutableContent: Sendable {
    /// Bytes per pool segment.
    static let segmentSize = 64 << 10
    private let pool: [UInt8]
    private let segmentCount: Int

    /// Builds a pool of `segmentCount` segments from `seed`.
    init(seed: UInt64, segmentCount: Int) {
        self.segmentCount = max(segmentCount, 2)
        var rng = Xoshiro256StarStar(seed: seed, stream: 0xE1F)
        var pool: [UInt8] = []
        pool.reserveCapacity(self.segmentCount * Self.segmentSize)
        // A fixed cycle of section kinds keeps the mix (and so the ratio, about 2.7x) independent of the pool size.
        let cycle: [SectionKind] = [
            .code, .messages, .code, .padding, .code, .symbols, .code, .messages, .pointers, .code,
            .opaque, .code, .messages, .code, .symbols, .pointers, .code, .messages, .code, .padding,
        ]
        for index in 0..<self.segmentCount {
            let start = pool.count
            let end = start + Self.segmentSize
            switch cycle[index % cycle.count] {
            case .code: Self.appendCode(upTo: end, rng: &rng, to: &pool)
            case .messages: Self.appendMessages(upTo: end, rng: &rng, to: &pool)
            case .symbols: Self.appendSymbols(upTo: end, rng: &rng, to: &pool)
            case .pointers: Self.appendPointerTable(upTo: end, rng: &rng, to: &pool)
            case .opaque: Self.appendOpaque(count: Self.segmentSize, rng: &rng, to: &pool)
            case .padding: Self.appendPadding(upTo: end, rng: &rng, to: &pool)
            }
            pool.removeLast(pool.count - end)
        }
        self.pool = pool
    }

    private enum SectionKind {
        case code, messages, symbols, pointers, opaque, padding
    }

    /// Streams exactly `size` bytes of a `format` file to `sink` in pieces of at most `chunkCapacity` bytes.
    func render(
        _ format: ExecutableFormat, size: Int, seed: UInt64, chunk: inout [UInt8], chunkCapacity: Int,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        var rng = Xoshiro256StarStar(seed: seed)
        chunk.removeAll(keepingCapacity: true)
        Self.appendHeader(format, rng: &rng, to: &chunk)
        if chunk.count > size { chunk.removeLast(chunk.count - size) }
        var written = 0
        var previousSegment = -1
        while written + chunk.count < size {
            var segment = rng.below(segmentCount)
            if segment == previousSegment { segment = (segment + 1) % segmentCount }
            previousSegment = segment
            let base = segment * Self.segmentSize
            let wanted = min(Self.segmentSize, size - written - chunk.count)
            chunk.append(contentsOf: pool[base..<(base + wanted)])
            if chunk.count >= chunkCapacity {
                try chunk.withUnsafeBytes(sink)
                written += chunk.count
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty {
            try chunk.withUnsafeBytes(sink)
        }
    }

    private static func appendHeader(_ format: ExecutableFormat, rng: inout Xoshiro256StarStar, to output: inout [UInt8]) {
        switch format {
        case .elf:
            // ELF64 little-endian x86-64 executable header followed by a few program headers.
            output += [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
            output += [3, 0, 0x3E, 0, 1, 0, 0, 0]
            appendLittleEndian(UInt64(0x1000 + rng.below(0x10000) * 16), bytes: 8, to: &output)
            appendLittleEndian(64, bytes: 8, to: &output)
            appendLittleEndian(UInt64(rng.below(1 << 24)), bytes: 8, to: &output)
            output += [0, 0, 0, 0, 64, 0, 56, 0, 13, 0, 64, 0, 31, 0, 30, 0]
            for index in 0..<13 {
                appendLittleEndian(UInt64(index % 4 + 1), bytes: 4, to: &output)
                appendLittleEndian(UInt64(4 + index % 3), bytes: 4, to: &output)
                for _ in 0..<3 { appendLittleEndian(UInt64(rng.below(1 << 20)) << 4, bytes: 8, to: &output) }
                for _ in 0..<2 { appendLittleEndian(UInt64(rng.below(1 << 16)) << 4, bytes: 8, to: &output) }
                appendLittleEndian(0x1000, bytes: 8, to: &output)
            }
        case .pythonBytecode:
            output += [0xCB, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0]
            appendLittleEndian(UInt64(1_700_000_000 + rng.below(50_000_000)), bytes: 4, to: &output)
            appendLittleEndian(UInt64(rng.below(1 << 16)), bytes: 4, to: &output)
            output += [0xE3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xF3]
        case .rustLibrary:
            output += Array("!<arch>\n".utf8)
            output += Array("lib.rmeta/       0           0     0     644     ".utf8)
            output += Array("\(100_000 + rng.below(900_000))    `\n".utf8)
            output += Array("rust\0\0\0\u{8}".utf8)
        case .gitIndex:
            output += Array("DIRC".utf8) + [0, 0, 0, 2]
            appendLittleEndian(UInt64(rng.below(1 << 12)).byteSwapped >> 32, bytes: 4, to: &output)
        }
    }

    /// Instruction-like patterns: frequent opcodes and registers; call targets, RIP-relative offsets and stack
    /// slots come from small per-segment tables, as a function calls the same few helpers again and again.
    private static func appendCode(upTo end: Int, rng: inout Xoshiro256StarStar, to output: inout [UInt8]) {
        let callTargets = (0..<48).map { _ in UInt64(rng.below(1 << 22)) | (rng.chance(50) ? 0xFFC0_0000 : 0) }
        let ripOffsets = (0..<32).map { _ in UInt64(rng.below(1 << 20)) }
        while output.count < end {
            output += [0x55, 0x48, 0x89, 0xE5, 0x41, 0x57, 0x41, 0x56, 0x53, 0x48, 0x83, 0xEC]
            output.append(UInt8(8 * rng.inRange(1...8)))
            for _ in 0..<rng.inRange(8...48) {
                let register = UInt8(rng.skewed(8))
                switch rng.skewed(12) {
                case 0: output += [0x48, 0x89, 0xC0 | register << 3 | UInt8(rng.skewed(8))]
                case 1: output += [0x48, 0x8B, 0x40 | register << 3 | UInt8(rng.skewed(8)), UInt8(8 * rng.skewed(8))]
                case 2:
                    output += [0x48, 0x89, 0xDF, 0xE8]
                    appendLittleEndian(callTargets[rng.skewed(callTargets.count)], bytes: 4, to: &output)
                    output += [0x85, 0xC0, 0x75, UInt8(4 * rng.skewed(16))]
                case 3:
                    output += [0x48, 0x8D, 0x05 | register << 3]
                    appendLittleEndian(ripOffsets[rng.skewed(ripOffsets.count)], bytes: 4, to: &output)
                case 4: output += [0x74 + UInt8(rng.skewed(4)), UInt8(4 * rng.skewed(32))]
                case 5: output += [0x48, 0x85, 0xC0 | register << 3 | register]
                case 6: output += [0x31, 0xC0 | register << 3 | register]
                case 7: output += [0x48, 0x89, 0x44 | register << 3, 0x24, UInt8(8 * rng.skewed(8))]
                case 8:
                    output += [0xB8 | register]
                    appendLittleEndian(UInt64(rng.skewed(64)), bytes: 4, to: &output)
                case 9: output += [0x83, 0xF8 | register, UInt8(rng.skewed(16))]
                case 10:
                    output.append(0xE8)
                    appendLittleEndian(callTargets[rng.skewed(callTargets.count)], bytes: 4, to: &output)
                default: output += [0x4C, 0x89, 0xE0 | register]
                }
            }
            output += [0x48, 0x83, 0xC4, UInt8(8 * rng.inRange(1...8)), 0x5B, 0x41, 0x5E, 0x41, 0x5F, 0x5D, 0xC3]
            while output.count % 16 != 0 { output.append(0xCC) }
        }
    }

    /// `.rodata` strings: error messages and format strings, NUL-terminated.
    private static func appendMessages(upTo end: Int, rng: inout Xoshiro256StarStar, to output: inout [UInt8]) {
        let prose = WordTables.prose
        let words = WordTables.programming
        while output.count < end {
            for index in 0..<rng.inRange(3...10) {
                if index > 0 { output.append(UInt8(ascii: " ")) }
                output += rng.chance(25) ? words[rng.skewed(words.count)] : prose[rng.skewed(prose.count)]
            }
            output += rng.chance(40) ? Array(": {}".utf8) : (rng.chance(50) ? Array(" %s (%d)".utf8) : [])
            output.append(0)
        }
    }

    /// Mangled symbol names with their hashes, separated by NUL bytes, as in `.dynstr` and `.strtab`.
    private static func appendSymbols(upTo end: Int, rng: inout Xoshiro256StarStar, to output: inout [UInt8]) {
        let words = WordTables.programming
        let types = WordTables.types
        while output.count < end {
            output += Array("_ZN".utf8)
            for _ in 0..<rng.inRange(2...4) {
                let word = rng.chance(50) ? words[rng.skewed(words.count)] : types[rng.skewed(types.count)]
                appendDecimal(word.count, to: &output)
                output += word
            }
            output += Array("17h".utf8)
            for _ in 0..<16 { output.append(WordTables.hexDigits[rng.below(16)]) }
            output += [UInt8(ascii: "E"), 0]
        }
    }

    /// Relocation- and vtable-like arrays of 64-bit addresses that share their high bytes.
    private static func appendPointerTable(upTo end: Int, rng: inout Xoshiro256StarStar, to output: inout [UInt8]) {
        var address = UInt64(0x5555_5555_0000) + UInt64(rng.below(1 << 20)) << 4
        while output.count < end {
            if rng.chance(70) {
                address &+= UInt64(rng.skewed(4096)) * 8
                appendLittleEndian(address, bytes: 8, to: &output)
                appendLittleEndian(UInt64(rng.skewed(64)) << 32 | 8, bytes: 8, to: &output)
            } else {
                appendLittleEndian(UInt64(truncatingIfNeeded: rng.next()), bytes: 8, to: &output)
            }
        }
    }

    private static func appendOpaque(count: Int, rng: inout Xoshiro256StarStar, to output: inout [UInt8]) {
        let start = output.count
        output += [UInt8](repeating: 0, count: count)
        output.withUnsafeMutableBytes { rng.fill(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    private static func appendPadding(upTo end: Int, rng: inout Xoshiro256StarStar, to output: inout [UInt8]) {
        while output.count < end {
            output += [UInt8](repeating: 0, count: rng.inRange(1024...16384))
            appendOpaque(count: rng.inRange(16...512), rng: &rng, to: &output)
        }
    }
}

/// Appends the low `bytes` bytes of `value`, least significant first.
func appendLittleEndian(_ value: UInt64, bytes: Int, to output: inout [UInt8]) {
    for index in 0..<bytes { output.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
}
