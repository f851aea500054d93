import Testing

@testable import SindriArchive

/// Hostile and damaged input: each case must end in one precise `TarFormatError` (kind and
/// offset), whatever the chunking, and never trap or allocate what the input declares.
@Suite("Tar reader on corrupt input")
struct TarReaderCorruptionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let input: [UInt8]
        let expected: TarFormatError
        var testDescription: String { label }
    }

    // MARK: Building blocks

    static let fileContent = tarTestContent(1000)
    static let fileEntry = TarEntry(path: tarBytes("dir/file.txt"), kind: .regular, mode: 0o644, size: 1000, modificationTime: 1_700_000_000)
    /// header (0..<512), content (512..<1512), padding (..<1536), end marker (1536..<2560).
    static let archive = tarArchive([(fileEntry, fileContent)])

    /// A header block with `typeflag` and `size`, optionally in GNU magic.
    static func header(_ name: String, typeflag: UInt8, size: UInt64, gnu: Bool = false) -> [UInt8] {
        var block = TarHeaderEncoder.encode(TarEntry(path: tarBytes(name), kind: .other(typeflag), size: size))
        if gnu {
            block.replaceSubrange(257..<265, with: tarBytes("ustar  \0"))
            fixTarChecksum(&block)
        }
        return block
    }

    /// A metadata or file member: header, data, padding.
    static func member(_ name: String, typeflag: UInt8, data: [UInt8], gnu: Bool = false) -> [UInt8] {
        header(name, typeflag: typeflag, size: UInt64(data.count), gnu: gnu) + data
            + [UInt8](repeating: 0, count: TarHeaderEncoder.paddingCount(forSize: UInt64(data.count)))
    }

    static func paxMember(_ records: String) -> [UInt8] {
        member("PaxHeaders/x", typeflag: UInt8(ascii: "x"), data: tarBytes(records))
    }

    /// The base archive with one header field replaced and the checksum fixed.
    static func patched(_ range: Range<Int>, _ value: [UInt8], fixChecksum: Bool = true) -> [UInt8] {
        var bytes = archive
        precondition(value.count == range.count)
        bytes.replaceSubrange(range, with: value)
        if fixChecksum { fixTarChecksum(&bytes) }
        return bytes
    }

    static let plainFile = tarArchive([(TarEntry(path: tarBytes("f"), kind: .regular, size: 3), tarBytes("abc"))])
    static let end = TarHeaderEncoder.endOfArchive()

    static func error(_ kind: TarFormatError.Kind, _ offset: UInt64) -> TarFormatError { TarFormatError(kind, at: offset) }

    static let cases: [Case] = [
        Case(label: "flipped checksum digit", input: { var b = archive; b[150] ^= 1; return b }(), expected: error(.badChecksum, 0)),
        Case(label: "flipped name byte", input: { var b = archive; b[3] ^= 0x20; return b }(), expected: error(.badChecksum, 0)),
        Case(label: "checksum field not octal", input: patched(148..<156, tarBytes("abcdef\0 "), fixChecksum: false), expected: error(.badChecksum, 0)),
        Case(label: "checksum field empty", input: patched(148..<156, [0, 0, 0, 0, 0, 0, 0, 0], fixChecksum: false), expected: error(.badChecksum, 0)),
        Case(label: "bad octal digit in size", input: patched(124..<136, tarBytes("00000001790\0")), expected: error(.badNumericField(field: .size), 0)),
        Case(label: "digits after the octal terminator", input: patched(124..<136, tarBytes("0000175 0 1\0")), expected: error(.badNumericField(field: .size), 0)),
        Case(label: "letter in mtime", input: patched(136..<148, tarBytes("1452477z400\0")), expected: error(.badNumericField(field: .mtime), 0)),
        Case(label: "bad octal in mode", input: patched(100..<108, tarBytes("00-0644\0")), expected: error(.badNumericField(field: .mode), 0)),
        Case(label: "base-256 size beyond 64 bits", input: patched(124..<136, [0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xE8]), expected: error(.badNumericField(field: .size), 0)),
        Case(label: "negative base-256 size", input: patched(124..<136, [UInt8](repeating: 0xFF, count: 12)), expected: error(.badNumericField(field: .size), 0)),
        Case(label: "base-256 marker other than 0x80/0xFF", input: patched(124..<136, [0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xE8]), expected: error(.badNumericField(field: .size), 0)),
        Case(label: "base-256 uid beyond UInt32", input: patched(108..<116, [0x80, 0, 0, 0x01, 0, 0, 0, 0]), expected: error(.badNumericField(field: .uid), 0)),
        Case(label: "base-256 gid beyond UInt32", input: patched(116..<124, [0x80, 0x01, 0, 0, 0, 0, 0, 0]), expected: error(.badNumericField(field: .gid), 0)),
        Case(label: "base-256 mtime beyond Int64", input: patched(136..<148, [0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0]), expected: error(.badNumericField(field: .mtime), 0)),
        Case(label: "negative base-256 mtime below Int64.min", input: patched(136..<148, [0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), expected: error(.badNumericField(field: .mtime), 0)),
        Case(label: "unknown magic", input: patched(257..<263, tarBytes("ustaR\0")), expected: error(.unknownFormat, 0)),
        Case(label: "pax record length one too long", input: paxMember("13 path=abc\n") + plainFile, expected: error(.malformedPax(reason: "record length 13 runs past the end of the header data"), 0)),
        Case(label: "pax record length one too short", input: paxMember("11 path=abc\n") + plainFile, expected: error(.malformedPax(reason: "record length 11 does not end at a newline"), 0)),
        Case(label: "pax record length lies inside a longer header", input: paxMember("13 path=abc\n12 uid=100\n") + plainFile, expected: error(.malformedPax(reason: "record length 13 does not end at a newline"), 0)),
        Case(label: "pax record without length", input: paxMember(" path=abc\n") + plainFile, expected: error(.malformedPax(reason: "record does not start with a decimal length"), 0)),
        Case(label: "pax record without '='", input: paxMember("11 pathabc\n") + plainFile, expected: error(.malformedPax(reason: "record has no '='"), 0)),
        Case(label: "pax record with empty keyword", input: paxMember("7 =abc\n") + plainFile, expected: error(.malformedPax(reason: "record has an empty keyword"), 0)),
        Case(label: "pax record length overflows", input: paxMember("99999999999999999999999 path=abc\n") + plainFile, expected: error(.malformedPax(reason: "record length overflows"), 0)),
        Case(label: "pax size not decimal", input: paxMember("11 size=1a\n") + plainFile, expected: error(.badNumericField(field: .size), 0)),
        Case(label: "pax size beyond UInt64", input: paxMember("29 size=18446744073709551616\n") + plainFile, expected: error(.badNumericField(field: .size), 0)),
        Case(label: "pax uid beyond UInt32", input: paxMember("18 uid=4294967296\n") + plainFile, expected: error(.badNumericField(field: .uid), 0)),
        Case(label: "pax mtime with exponent", input: paxMember("15 mtime=1e+20\n") + plainFile, expected: error(.badNumericField(field: .mtime), 0)),
        Case(label: "pax mtime beyond Int64", input: paxMember("29 mtime=9223372036854775808\n") + plainFile, expected: error(.badNumericField(field: .mtime), 0)),
        Case(label: "pax path with NUL", input: paxMember("12 path=a\0c\n") + plainFile, expected: error(.embeddedNul, 0)),
        Case(label: "pax GNU.sparse keyword", input: paxMember("22 GNU.sparse.major=1\n") + plainFile, expected: error(.unsupportedPaxKeyword("GNU.sparse.major"), 0)),
        Case(label: "pax header over 1 MiB", input: header("PaxHeaders/x", typeflag: UInt8(ascii: "x"), size: 2 << 20) + end, expected: error(.paxHeaderTooLarge(size: 2 << 20), 0)),
        Case(label: "pax global header setting path", input: member("pax_global_header", typeflag: UInt8(ascii: "g"), data: tarBytes("12 path=abc\n")) + plainFile, expected: error(.unsupportedGlobalHeader(keyword: "path"), 0)),
        Case(label: "duplicate pax headers", input: paxMember("12 path=abc\n") + paxMember("12 path=def\n") + plainFile, expected: error(.duplicateExtendedHeader(typeflag: UInt8(ascii: "x")), 1024)),
        Case(label: "pax header followed by end of archive", input: paxMember("12 path=abc\n") + end, expected: error(.orphanExtendedHeader(typeflag: UInt8(ascii: "x")), 1024)),
        Case(label: "GNU long name over 64 KiB", input: header("././@LongLink", typeflag: UInt8(ascii: "L"), size: 100_000, gnu: true) + end, expected: error(.nameTooLong(size: 100_000), 0)),
        Case(label: "GNU long name followed by EOF", input: member("././@LongLink", typeflag: UInt8(ascii: "L"), data: tarBytes("long/name\0"), gnu: true), expected: error(.truncated, 1024)),
        Case(label: "GNU long name cut inside its data", input: Array(member("././@LongLink", typeflag: UInt8(ascii: "L"), data: tarBytes("long/name\0"), gnu: true).prefix(515)), expected: error(.truncated, 515)),
        Case(label: "GNU long name followed by end of archive", input: member("././@LongLink", typeflag: UInt8(ascii: "L"), data: tarBytes("long/name\0"), gnu: true) + end, expected: error(.orphanExtendedHeader(typeflag: UInt8(ascii: "L")), 1024)),
        Case(label: "GNU long link then long name then end", input: member("././@LongLink", typeflag: UInt8(ascii: "K"), data: tarBytes("target\0"), gnu: true) + member("././@LongLink", typeflag: UInt8(ascii: "L"), data: tarBytes("name\0"), gnu: true) + end, expected: error(.orphanExtendedHeader(typeflag: UInt8(ascii: "K")), 2048)),
        Case(label: "two GNU long names for one member", input: member("././@LongLink", typeflag: UInt8(ascii: "L"), data: tarBytes("a\0"), gnu: true) + member("././@LongLink", typeflag: UInt8(ascii: "L"), data: tarBytes("b\0"), gnu: true) + plainFile, expected: error(.duplicateExtendedHeader(typeflag: UInt8(ascii: "L")), 1024)),
        Case(label: "GNU long name with embedded NUL", input: member("././@LongLink", typeflag: UInt8(ascii: "L"), data: tarBytes("ab\0cd\0"), gnu: true) + plainFile, expected: error(.embeddedNul, 0)),
        Case(label: "GNU sparse member", input: member("sparse", typeflag: UInt8(ascii: "S"), data: [], gnu: true) + end, expected: error(.unsupportedHeader(typeflag: UInt8(ascii: "S")), 0)),
        Case(label: "GNU multi-volume member", input: member("mv", typeflag: UInt8(ascii: "M"), data: [], gnu: true) + end, expected: error(.unsupportedHeader(typeflag: UInt8(ascii: "M")), 0)),
        Case(label: "symlink declaring content", input: member("link", typeflag: UInt8(ascii: "2"), data: tarBytes("xyz")) + end, expected: error(.unexpectedSize(size: 3), 0)),
        Case(label: "directory declaring content", input: member("dir", typeflag: UInt8(ascii: "5"), data: tarBytes("xyz")) + end, expected: error(.unexpectedSize(size: 3), 0)),
        Case(label: "regular file named with a trailing slash and content", input: member("file/", typeflag: UInt8(ascii: "0"), data: tarBytes("xyz")) + end, expected: error(.unexpectedSize(size: 3), 0)),
        Case(label: "empty name", input: patched(0..<12, [UInt8](repeating: 0, count: 12)), expected: error(.emptyPath, 0)),
        Case(label: "truncated inside the first header", input: Array(archive.prefix(300)), expected: error(.truncated, 300)),
        Case(label: "truncated inside content", input: Array(archive.prefix(612)), expected: error(.truncated, 612)),
        Case(label: "truncated inside padding", input: Array(archive.prefix(1520)), expected: error(.truncated, 1520)),
        Case(label: "no end-of-archive marker", input: Array(archive.prefix(1536)), expected: error(.truncated, 1536)),
        Case(label: "single zero block then EOF", input: Array(archive.prefix(2048)), expected: error(.truncated, 2048)),
        Case(label: "empty stream", input: [], expected: error(.truncated, 0)),
        Case(label: "garbage after the end", input: archive + [0, 0, 0x41, 0], expected: error(.trailingData, 2562)),
        Case(label: "a header after the end", input: archive + plainFile, expected: error(.trailingData, 2560)),
        Case(label: "lone zero block followed by a header", input: Array(archive.prefix(1536)) + [UInt8](repeating: 0, count: 512) + plainFile, expected: error(.loneZeroBlock, 2048)),
        Case(label: "1 TB declared in a 2 KB stream (pax size)", input: paxMember("22 size=1000000000000\n") + header("huge", typeflag: UInt8(ascii: "0"), size: 0) + tarTestContent(512), expected: error(.truncated, 2048)),
        Case(label: "1 TB declared in a 2 KB stream (base-256)", input: {
            var block = header("huge", typeflag: UInt8(ascii: "0"), size: 0, gnu: true)
            block.replaceSubrange(124..<136, with: [0x80, 0, 0, 0, 0, 0, 0, 0xE8, 0xD4, 0xA5, 0x10, 0x00])
            fixTarChecksum(&block)
            return block + tarTestContent(1536)
        }(), expected: error(.truncated, 2048)),
    ]

    @Test("corrupt input fails with the exact error at any chunk size", arguments: cases, [1, 7, 512, 4096, Int.max])
    func corruptInput(_ testCase: Case, chunkSize: Int) {
        #expect(throws: testCase.expected) {
            _ = try readTar(testCase.input, chunkSize: chunkSize)
        }
    }

    @Test("after an error every call throws the same error")
    func errorsAreSticky() throws {
        var reader = TarReader()
        var corrupt = Self.archive
        corrupt[150] ^= 1
        #expect(throws: TarFormatError(.badChecksum, at: 0)) { try reader.consume(corrupt) { _ in } }
        #expect(throws: TarFormatError(.badChecksum, at: 0)) { try reader.consume(Self.plainFile) { _ in } }
        #expect(throws: TarFormatError(.badChecksum, at: 0)) { try reader.finish() }
    }

    @Test("a declared terabyte is streamed, not buffered")
    func hugeDeclaredSizeStreams() throws {
        var reader = TarReader()
        var block = Self.header("huge", typeflag: UInt8(ascii: "0"), size: 0, gnu: true)
        block.replaceSubrange(124..<136, with: [0x80, 0, 0, 0, 0, 0, 0, 0xE8, 0xD4, 0xA5, 0x10, 0x00])
        fixTarChecksum(&block)
        var delivered = 0
        var declared: UInt64 = 0
        try reader.consume(block) { event in
            if case .entry(let member) = event { declared = member.entry.size }
        }
        let chunk = [UInt8](repeating: 7, count: 1 << 16)
        for _ in 0..<64 {
            try reader.consume(chunk) { event in
                if case .content(let slice) = event { delivered += slice.count }
            }
        }
        #expect(declared == 1_000_000_000_000)
        #expect(delivered == 64 << 16)
        #expect(reader.offset == 512 + 64 << 16)
        #expect(throws: TarFormatError(.truncated, at: 512 + 64 << 16)) { try reader.finish() }
    }

    @Test("every error has a one-line description naming the offset", arguments: cases)
    func descriptions(_ testCase: Case) {
        let text = testCase.expected.description
        #expect(!text.contains("\n"))
        #expect(text.hasPrefix("tar format error at byte \(testCase.expected.offset): "))
    }
}
