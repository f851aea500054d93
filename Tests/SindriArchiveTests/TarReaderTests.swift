import Foundation
import Testing

@testable import SindriArchive

@Suite("Tar reader")
struct TarReaderTests {
    /// All small boundary entries in one archive, with real content.
    static let boundaryArchive: [UInt8] = tarArchive(
        TarEncoderBoundaryCase.all
            .filter { $0.entry.size <= TarEncoderBoundaryCase.realDataLimit }
            .map { ($0.entry, tarTestContent(Int($0.entry.size))) }
    )

    @Test("chunk sizes 1, 7, 512, 4096 and 65536 give identical events", arguments: [1, 7, 512, 4096, 65536])
    func chunkingDoesNotChangeEvents(chunkSize: Int) throws {
        let whole = try readTar(Self.boundaryArchive)
        let chunked = try readTar(Self.boundaryArchive, chunkSize: chunkSize)
        #expect(chunked == whole)
        #expect(whole.last == .endOfArchive)
    }

    @Test("chunking a GNU tar pax archive gives identical events", arguments: [1, 7, 512, 4096])
    func chunkingGNUTarArchive(chunkSize: Int) throws {
        let directory = try TarTemporaryDirectory()
        let tree = directory.path("tree")
        #expect(try runTarTool(["python3", "-c", TarReaderInteropTests.treeScript, tree], in: directory).status == 0)
        let archive = directory.path("pax.tar")
        #expect(try runTarTool(["tar", "--format=pax", "--sort=name", "-C", tree, "-cf", archive, "."], in: directory).status == 0)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: archive)))
        let whole = try readTar(bytes)
        #expect(try readTar(bytes, chunkSize: chunkSize) == whole)
        #expect(tarMembers(of: whole).count >= 14)
    }

    @Test("events come in order with exact offsets")
    func eventOrderAndOffsets() throws {
        let long = TarEntry(path: TarEncoderBoundaryCase.repeated("l", 300), kind: .regular, size: 600)
        let small = TarEntry(path: tarBytes("s"), kind: .regular, size: 0)
        let events = try readTar(tarArchive([(long, tarTestContent(600)), (small, [])]))
        let longHeader = TarHeaderEncoder.encodedHeaderSize(long)
        #expect(events == [
            .entry(TarMember(entry: long, headerOffset: 0, contentOffset: UInt64(longHeader))),
            .content(tarTestContent(600)),
            .endOfEntry,
            .entry(TarMember(entry: small, headerOffset: UInt64(longHeader + 1024), contentOffset: UInt64(longHeader + 1536))),
            .endOfEntry,
            .endOfArchive,
        ])
    }

    @Test("zero padding of any length may follow the end marker", arguments: [0, 1, 511, 512, 9216])
    func zeroPaddingAfterEnd(padding: Int) throws {
        let events = try readTar(TarHeaderEncoder.endOfArchive() + [UInt8](repeating: 0, count: padding), chunkSize: 100)
        #expect(events == [.endOfArchive])
    }

    @Test("a checksum computed over signed bytes is accepted, like GNU tar does")
    func signedChecksum() throws {
        var archive = tarArchive([(TarEntry(path: [0xC3, 0xA9, 0xFF], kind: .regular, size: 1), [9])])
        for index in 148..<156 { archive[index] = 0x20 }
        let signedSum = archive[0..<512].reduce(0) { $0 + Int(Int8(bitPattern: $1)) }
        let digits = tarBytes(String(signedSum, radix: 8))
        archive.replaceSubrange(148..<156, with: [UInt8](repeating: 0x30, count: 6 - digits.count) + digits + [0, 0x20])
        #expect(signedSum != archive[0..<512].reduce(0) { $0 + Int($1) })
        let found = tarMembers(of: try readTar(archive))
        #expect(found.map(\.entry.path) == [[0xC3, 0xA9, 0xFF]])
    }

    @Test("v7 headers: empty magic, trailing slash means directory, octal padded with spaces")
    func v7Header() throws {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ offset: Int, _ text: String) { block.replaceSubrange(offset..<(offset + text.utf8.count), with: tarBytes(text)) }
        put(0, "old/dir/")
        put(100, "  755 \0")
        put(108, "  1750 \0")
        put(116, "    12 ")
        put(124, "          0 ")
        put(136, "14524770400 ")
        block[156] = 0
        fixTarChecksum(&block)
        let found = tarMembers(of: try readTar(block + TarHeaderEncoder.endOfArchive()))
        #expect(found.map(\.entry) == [
            TarEntry(path: tarBytes("old/dir"), kind: .directory, mode: 0o755, uid: 0o1750, gid: 0o12, modificationTime: 1_700_000_000),
        ])
    }

    @Test("pax records: last duplicate wins, empty value deletes, fractions floor, unknown keys are ignored")
    func paxSemantics() throws {
        let records = [
            ("path", "one"), ("path", "two"), ("linkpath", ""), ("mtime", "100.999999"),
            ("atime", "1700000000.123456789"), ("SCHILY.xattr.user.key", "val"),
            ("LIBARCHIVE.creationtime", "1700000"), ("comment", "hello"), ("hdrcharset", "BINARY"),
            ("uname", "x"), ("gid", "4242"),
        ].map { tarPaxRecordText($0.0, $0.1) }.joined()
        let pax = TarReaderCorruptionTests.paxMember(records)
        var real = TarHeaderEncoder.encode(TarEntry(path: tarBytes("ustar-name"), kind: .symbolicLink, mode: 0o777, gid: 1, modificationTime: 5, linkTarget: tarBytes("ustar-target")))
        fixTarChecksum(&real)
        let found = tarMembers(of: try readTar(pax + real + TarHeaderEncoder.endOfArchive()))
        #expect(found.map(\.entry) == [
            TarEntry(path: tarBytes("two"), kind: .symbolicLink, mode: 0o777, gid: 4242, modificationTime: 100, linkTarget: tarBytes("ustar-target")),
        ])
    }

    @Test("pax mtime fractions round toward the earlier second", arguments: [
        ("1.5", 1), ("-1.5", -2), ("-1.0", -1), ("-0.25", -1), ("0.0", 0), ("-9223372036854775807.5", Int64.min), ("-9223372036854775808", Int64.min),
    ] as [(String, Int64)])
    func paxFractionalTime(value: String, expected: Int64) throws {
        let pax = TarReaderCorruptionTests.paxMember(tarPaxRecordText("mtime", value))
        let found = tarMembers(of: try readTar(pax + TarReaderCorruptionTests.plainFile))
        #expect(found.map(\.entry.modificationTime) == [expected])
    }

    @Test("pax global headers with comments only are skipped; ours never need them")
    func globalCommentIsSkipped() throws {
        let global = TarReaderCorruptionTests.member("pax_global_header", typeflag: UInt8(ascii: "g"), data: tarBytes("52 comment=0123456789012345678901234567890123456789\n"))
        let found = tarMembers(of: try readTar(global + TarReaderCorruptionTests.plainFile))
        #expect(found.map(\.entry.path) == [tarBytes("f")])
        #expect(found.first?.content == tarBytes("abc"))
    }

    @Test("git archive output (with its global comment header) is read")
    func gitArchive() throws {
        let directory = try TarTemporaryDirectory()
        let repository = directory.path("repo")
        try FileManager.default.createDirectory(atPath: repository + "/src", withIntermediateDirectories: true)
        try Data("fn main() {}\n".utf8).write(to: URL(fileURLWithPath: repository + "/src/main.rs"))
        for command in [
            ["git", "-C", repository, "init", "-q"],
            ["git", "-C", repository, "add", "."],
            ["git", "-C", repository, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "x"],
            ["git", "-C", repository, "archive", "--format=tar", "-o", directory.path("git.tar"), "HEAD"],
        ] {
            let result = try runTarTool(command, in: directory)
            #expect(result.status == 0, "\(command): \(result.standardErrorText)")
        }
        let archive = Array(try Data(contentsOf: URL(fileURLWithPath: directory.path("git.tar"))))
        #expect(archive[156] == UInt8(ascii: "g"))
        let found = tarMembers(of: try readTar(archive, chunkSize: 333))
        #expect(found.map(\.entry.path) == [tarBytes("src"), tarBytes("src/main.rs")])
        #expect(found.last?.content == tarBytes("fn main() {}\n"))
    }

    @Test("unknown typeflags are kept as .other and their content delivered")
    func unknownTypeflag() throws {
        let input = TarReaderCorruptionTests.member("vendor", typeflag: UInt8(ascii: "Z"), data: tarBytes("payload")) + TarHeaderEncoder.endOfArchive()
        let found = tarMembers(of: try readTar(input))
        #expect(found.map(\.entry.kind) == [.other(UInt8(ascii: "Z"))])
        #expect(found.first?.content == tarBytes("payload"))
    }

    @Test("names are reported byte for byte except trailing slashes", arguments: [
        (tarBytes("./a/../b"), tarBytes("./a/../b")),
        (tarBytes("/abs/path"), tarBytes("/abs/path")),
        (tarBytes("dir//"), tarBytes("dir")),
        (tarBytes("/"), tarBytes("/")),
        ([0x80, 0x0A, 0x1B], [0x80, 0x0A, 0x1B]),
    ] as [([UInt8], [UInt8])])
    func namesAreNotJudged(stored: [UInt8], reported: [UInt8]) throws {
        var header = TarHeaderEncoder.encode(TarEntry(path: tarBytes("placeholder"), kind: .directory, mode: 0o755))
        header.replaceSubrange(0..<100, with: stored + [UInt8](repeating: 0, count: 100 - stored.count))
        fixTarChecksum(&header)
        let found = tarMembers(of: try readTar(header + TarHeaderEncoder.endOfArchive()))
        #expect(found.map(\.entry.path) == [reported])
    }

    @Test("limits are configurable")
    func customLimits() throws {
        let limits = TarReader.Limits(maximumPaxHeaderSize: 10, maximumLongNameSize: 4)
        let pax = TarReaderCorruptionTests.paxMember("12 path=abc\n") + TarReaderCorruptionTests.plainFile
        #expect(throws: TarFormatError(.paxHeaderTooLarge(size: 12), at: 0)) { _ = try readTar(pax, limits: limits) }
        let long = TarReaderCorruptionTests.member("././@LongLink", typeflag: UInt8(ascii: "L"), data: tarBytes("abcd\0"), gnu: true) + TarReaderCorruptionTests.plainFile
        #expect(throws: TarFormatError(.nameTooLong(size: 5), at: 0)) { _ = try readTar(long, limits: limits) }

        // Even without a cap, a declared 8 GiB pax header is not allocated up front.
        let unlimited = TarReader.Limits(maximumPaxHeaderSize: .max, maximumLongNameSize: .max)
        let huge = TarReaderCorruptionTests.header("PaxHeaders/x", typeflag: UInt8(ascii: "x"), size: (8 << 30) - 1) + tarTestContent(100)
        #expect(throws: TarFormatError(.truncated, at: 612)) { _ = try readTar(huge, limits: unlimited) }
    }

    struct HandlerStop: Error, Equatable {}

    @Test("errors thrown by the handler propagate unchanged")
    func handlerErrorsPropagate() {
        var reader = TarReader()
        #expect(throws: HandlerStop()) {
            try reader.consume(Self.boundaryArchive) { event in
                if case .content = event { throw HandlerStop() }
            }
        }
    }

    @Test("isAtEndOfArchive and offset track the stream")
    func progress() throws {
        var reader = TarReader()
        try reader.consume(TarReaderCorruptionTests.plainFile.dropLast(1)) { _ in }
        #expect(!reader.isAtEndOfArchive)
        try reader.consume([0]) { _ in }
        #expect(reader.isAtEndOfArchive)
        #expect(reader.offset == UInt64(TarReaderCorruptionTests.plainFile.count))
        try reader.finish()
    }
}
