import Testing

@testable import SindriArchive

@Suite("Tar header encoder")
struct TarHeaderEncoderTests {
    @Test("encoded size is a multiple of 512, matches encodedHeaderSize and uses pax only when needed",
          arguments: TarEncoderBoundaryCase.all)
    func layout(_ testCase: TarEncoderBoundaryCase) {
        let header = TarHeaderEncoder.encode(testCase.entry)
        #expect(header.count % 512 == 0)
        #expect(header.count == TarHeaderEncoder.encodedHeaderSize(testCase.entry))
        #expect((header.count > 512) == testCase.expectsPax)
        if testCase.expectsPax {
            #expect(header[156] == UInt8(ascii: "x"))
        }
        // The last block is the ustar header of the member itself.
        let ustar = Array(header.suffix(512))
        #expect(ustar[156] == testCase.entry.kind.typeflag)
        #expect(Array(ustar[257..<265]) == tarBytes("ustar\0") + tarBytes("00"))
        #expect(Array(ustar[265..<329]).allSatisfy { $0 == 0 }, "uname and gname are empty")
    }

    @Test("our reader gives back exactly the entry", arguments: TarEncoderBoundaryCase.all)
    func roundTrip(_ testCase: TarEncoderBoundaryCase) throws {
        let entry = testCase.entry
        if entry.size <= TarEncoderBoundaryCase.realDataLimit {
            let content = tarTestContent(Int(entry.size))
            let events = try readTar(tarArchive([(entry, content)]))
            let found = tarMembers(of: events)
            #expect(found.count == 1)
            #expect(found.first?.entry == entry)
            #expect(found.first?.content == content)
            #expect(events.last == .endOfArchive)
        } else {
            // Header only: the reader reports the member before any content arrives.
            var reader = TarReader()
            var seen: [TarMember] = []
            try reader.consume(TarHeaderEncoder.encode(entry)) { event in
                if case .entry(let member) = event { seen.append(member) }
            }
            #expect(seen.map(\.entry) == [entry])
            #expect(seen.first?.contentOffset == UInt64(TarHeaderEncoder.encodedHeaderSize(entry)))
            #expect(throws: TarFormatError(.truncated, at: UInt64(TarHeaderEncoder.encodedHeaderSize(entry)))) {
                try reader.finish()
            }
        }
    }

    @Test("pax records are exactly the standard keywords needed")
    func paxRecords() throws {
        let entry = TarEntry(
            path: TarEncoderBoundaryCase.repeated("p", 120), kind: .symbolicLink, mode: 0o777,
            uid: 3_000_000, gid: 7, modificationTime: -5,
            linkTarget: [0xFF] + TarEncoderBoundaryCase.repeated("t", 120))
        let header = TarHeaderEncoder.encode(entry)
        let size = Int(String(decoding: header[124..<135], as: UTF8.self), radix: 8)!
        let records = String(decoding: header[512..<(512 + size)], as: UTF8.self)
        let keywords = records.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1)[1].split(separator: "=")[0] }
        #expect(keywords == ["hdrcharset", "path", "linkpath", "uid", "mtime"])
        #expect(records.hasPrefix("21 hdrcharset=BINARY\n"))
        #expect(records.contains("15 uid=3000000\n"))
        #expect(records.contains("12 mtime=-5\n"))
        // The ustar fields that overflowed hold 0.
        let ustar = Array(header.suffix(512))
        #expect(header.count == 1536)
        #expect(Array(ustar[108..<116]) == tarBytes("0000000\0"))
        #expect(Array(ustar[116..<124]) == tarBytes("0000007\0"))
        #expect(Array(ustar[136..<148]) == tarBytes("00000000000\0"))
    }

    @Test("pax record length counts its own digits", arguments: [
        (1, 1, 6), (0, 93, 98), (0, 94, 99), (0, 95, 101), (4, 989, 999), (4, 990, 1001),
    ])
    func paxRecordLength(keywordLength: Int, valueLength: Int, expected: Int) {
        #expect(TarPaxRecords.recordLength(keywordLength: keywordLength, valueLength: valueLength) == expected)
    }

    @Test("the pax header name is deterministic and fits", arguments: [
        (tarBytes("a/b/c"), tarBytes("PaxHeaders/a/b/c")),
        (TarEncoderBoundaryCase.repeated("z", 200), tarBytes("PaxHeaders/") + TarEncoderBoundaryCase.repeated("z", 89)),
        (tarBytes("/") + TarEncoderBoundaryCase.repeated("z", 88) + tarBytes("/"), tarBytes("PaxHeaders/") + TarEncoderBoundaryCase.repeated("z", 88)),
        // A cut inside "é" (0xC3 0xA9) moves to the next character boundary.
        (TarEncoderBoundaryCase.repeated("e", 20) + tarBytes("é") + TarEncoderBoundaryCase.repeated("f", 88), tarBytes("PaxHeaders/") + TarEncoderBoundaryCase.repeated("f", 88)),
    ])
    func paxHeaderName(path: [UInt8], expected: [UInt8]) {
        let name = TarHeaderEncoder.paxHeaderName(for: path)
        #expect(name == expected)
        #expect(name.count <= 100)
    }

    @Test("ustar split prefers the longest prefix and never leaves an empty name", arguments: [
        (tarBytes("a/") + TarEncoderBoundaryCase.repeated("b", 99), 1),
        (TarEncoderBoundaryCase.repeated("p", 155) + tarBytes("/") + TarEncoderBoundaryCase.repeated("n", 100), 155),
        (tarBytes("x/") + TarEncoderBoundaryCase.repeated("p", 150) + tarBytes("/n"), 152),
        (TarEncoderBoundaryCase.repeated("d", 101) + tarBytes("/"), nil),
        (TarEncoderBoundaryCase.repeated("n", 101), nil),
    ] as [([UInt8], Int?)])
    func ustarSplit(name: [UInt8], expected: Int?) {
        #expect(TarHeaderLayout.ustarSplit(name) == expected)
    }

    @Test("devices beyond 7 octal digits use GNU base-256")
    func bigDeviceNumbers() throws {
        let entry = TarEntry(path: tarBytes("dev/big"), kind: .blockDevice, mode: 0o600, deviceMajor: 4_000_000, deviceMinor: .max)
        let header = TarHeaderEncoder.encode(entry)
        #expect(header.count == 512)
        #expect(Array(header[329..<337]) == [0x80, 0, 0, 0, 0x00, 0x3D, 0x09, 0x00])
        #expect(Array(header[337..<345]) == [0x80, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(tarMembers(of: try readTar(tarArchive([(entry, [])]))).map(\.entry) == [entry])
    }

    @Test("the checksum field is six octal digits, NUL, space, and matches the byte sum")
    func checksum() {
        let header = TarHeaderEncoder.encode(TarEntry(path: tarBytes("f"), kind: .regular, size: 1))
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 0x20 : Int(byte) }
        #expect(header[154] == 0 && header[155] == 0x20)
        #expect(Int(String(decoding: header[148..<154], as: UTF8.self), radix: 8) == sum)
    }

    @Test("non-regular kinds write size 0 whatever the entry says")
    func sizeOfNonRegular() throws {
        let entry = TarEntry(path: tarBytes("d"), kind: .directory, mode: 0o755, size: 4096)
        let header = TarHeaderEncoder.encode(entry)
        #expect(Array(header[124..<136]) == tarBytes("00000000000\0"))
        #expect(header[0..<3] == [0x64, 0x2F, 0x00])
    }

    @Test("helpers: end of archive and padding", arguments: [(0, 0), (1, 511), (511, 1), (512, 0), (513, 511), (8 << 30, 0)] as [(UInt64, Int)])
    func padding(size: UInt64, expected: Int) {
        #expect(TarHeaderEncoder.paddingCount(forSize: size) == expected)
        #expect(TarHeaderEncoder.endOfArchive() == [UInt8](repeating: 0, count: 1024))
    }

    @Test("append adds the same bytes as encode, after what the buffer holds")
    func appendMatchesEncode() {
        var buffer: [UInt8] = [1, 2, 3]
        for testCase in TarEncoderBoundaryCase.all { TarHeaderEncoder.append(testCase.entry, to: &buffer) }
        #expect(buffer == [1, 2, 3] + TarEncoderBoundaryCase.all.flatMap { TarHeaderEncoder.encode($0.entry) })
    }
}
