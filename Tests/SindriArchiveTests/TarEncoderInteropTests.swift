import Foundation
import Testing

@testable import SindriArchive

/// Our headers read by GNU tar and Python's `tarfile`: names byte for byte, sizes, modes,
/// times, owners and link targets, with no warning on stderr.
@Suite("Tar encoder interoperability")
struct TarEncoderInteropTests {
    /// Writes a one-member archive. Members too large for real data are written sparse: the
    /// header, a hole as long as the content and its padding, then the end-of-archive marker, so
    /// GNU tar and Python (which seek over content when listing) see a complete archive.
    static func writeArchive(_ entry: TarEntry, to path: String) throws -> [UInt8] {
        let content = entry.size <= TarEncoderBoundaryCase.realDataLimit ? tarTestContent(Int(entry.size)) : []
        if entry.size <= TarEncoderBoundaryCase.realDataLimit {
            try Data(tarArchive([(entry, content)])).write(to: URL(fileURLWithPath: path))
            return content
        }
        let header = TarHeaderEncoder.encode(entry)
        _ = FileManager.default.createFile(atPath: path, contents: Data(header))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let end = UInt64(header.count) + entry.size + UInt64(TarHeaderEncoder.paddingCount(forSize: entry.size))
        try handle.seek(toOffset: end)
        try handle.write(contentsOf: Data(TarHeaderEncoder.endOfArchive()))
        try handle.close()
        return content
    }

    @Test("GNU tar lists the member exactly, without warnings", arguments: TarEncoderBoundaryCase.all)
    func gnuTarListsMember(_ testCase: TarEncoderBoundaryCase) throws {
        let directory = try TarTemporaryDirectory()
        let archive = directory.path("case.tar")
        _ = try Self.writeArchive(testCase.entry, to: archive)
        let (lines, result) = try gnuTarList(archive, in: directory)
        #expect(result.status == 0, "GNU tar failed: \(result.standardErrorText)")
        #expect(result.standardErrorText == Self.expectedGNUTarWarning(testCase.entry), "GNU tar warned: \(result.standardErrorText)")
        #expect(lines == [TarGNUListingLine(expected: testCase.entry)])
    }

    /// GNU tar 1.34 does not know the standard `hdrcharset` keyword and says so once; it still
    /// keeps the raw bytes (exit status 0). Without the keyword bsdtar fails instead ("Pathname
    /// can't be converted from UTF-8"), so the encoder keeps it, as POSIX asks.
    static func expectedGNUTarWarning(_ entry: TarEntry) -> String {
        TarHeaderLayout(entry).paxBinaryCharset ? "tar: Ignoring unknown extended header keyword 'hdrcharset'\n" : ""
    }

    @Test("bsdtar lists and extracts the member without complaint", arguments: TarEncoderBoundaryCase.all)
    func bsdtarReadsMember(_ testCase: TarEncoderBoundaryCase) throws {
        let directory = try TarTemporaryDirectory()
        let archive = directory.path("case.tar")
        let content = try Self.writeArchive(testCase.entry, to: archive)
        let listing = try runTarTool(["bsdtar", "-tvf", archive], in: directory)
        #expect(listing.status == 0, "bsdtar failed: \(listing.standardErrorText)")
        #expect(listing.standardError.isEmpty, "bsdtar warned: \(listing.standardErrorText)")
        #expect(listing.standardOutput.split(separator: 0x0A).count == 1)
        if testCase.entry.kind == .regular && testCase.entry.size <= TarEncoderBoundaryCase.realDataLimit {
            let extraction = try runTarTool(["bsdtar", "-xOf", archive], in: directory)
            #expect(extraction.status == 0 && extraction.standardError.isEmpty, "\(extraction.standardErrorText)")
            #expect(tarFirstDifference(extraction.standardOutput, content) == nil)
        }
    }

    @Test("GNU tar extracts real content identically", arguments: TarEncoderBoundaryCase.all.filter {
        $0.entry.kind == .regular && $0.entry.size <= TarEncoderBoundaryCase.realDataLimit
    })
    func gnuTarExtractsContent(_ testCase: TarEncoderBoundaryCase) throws {
        let directory = try TarTemporaryDirectory()
        let archive = directory.path("case.tar")
        let content = try Self.writeArchive(testCase.entry, to: archive)
        let result = try runTarTool(["tar", "-xOf", archive], in: directory)
        #expect(result.status == 0)
        #expect(result.standardErrorText == Self.expectedGNUTarWarning(testCase.entry), "GNU tar warned: \(result.standardErrorText)")
        #expect(tarFirstDifference(result.standardOutput, content) == nil)
    }

    @Test("Python tarfile reads the member exactly", arguments: TarEncoderBoundaryCase.all)
    func pythonReadsMember(_ testCase: TarEncoderBoundaryCase) throws {
        let directory = try TarTemporaryDirectory()
        let archive = directory.path("case.tar")
        let content = try Self.writeArchive(testCase.entry, to: archive)
        let found = try tarPythonDescribe(archive, in: directory)
        let entry = testCase.entry
        try #require(found.count == 1)
        let member = found[0]
        #expect(member.nameBytes == entry.path)
        #expect(member.kind == entry.kind)
        #expect(member.size == entry.size)
        #expect(member.mode == entry.mode)
        #expect(member.mtime == entry.modificationTime)
        #expect(member.uid == entry.uid)
        #expect(member.gid == entry.gid)
        #expect(member.linkBytes == entry.linkTarget)
        #expect(member.devmajor == entry.deviceMajor)
        #expect(member.devminor == entry.deviceMinor)
        if entry.kind == .regular && entry.size <= TarEncoderBoundaryCase.realDataLimit {
            #expect(member.contentBytes == content)
        }
    }

    @Test("byte-identical to GNU tar --format=ustar for plain entries")
    func goldenAgainstGNUTar() throws {
        let directory = try TarTemporaryDirectory()
        let tree = directory.path("tree")
        try FileManager.default.createDirectory(atPath: tree + "/sub", withIntermediateDirectories: true)
        // 136 bytes with its trailing slash: GNU tar and we split it at the same '/'.
        let longDirectory = "sub/" + String(repeating: "d", count: 70) + "/" + String(repeating: "e", count: 60)
        try FileManager.default.createDirectory(atPath: tree + "/" + longDirectory, withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: tree + "/sub/file.txt"))
        try Data(tarTestContent(1000)).write(to: URL(fileURLWithPath: tree + "/" + longDirectory + "/inner"))
        try FileManager.default.createSymbolicLink(atPath: tree + "/sub/link", withDestinationPath: "file.txt")
        let names = ["sub", "sub/file.txt", "sub/link", longDirectory, longDirectory + "/inner"]
        for name in names {
            let mode = name.hasSuffix("inner") || name.hasSuffix(".txt") ? 0o640 : 0o755
            if name != "sub/link" {
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: tree + "/" + name)
            }
        }
        let touch = try runTarTool(["touch", "-h", "-d", "@1700000000"] + names.map { tree + "/" + $0 }, in: directory)
        #expect(touch.status == 0)
        let archive = directory.path("gnu.tar")
        let create = try runTarTool([
            "tar", "--format=ustar", "--numeric-owner", "--owner=0", "--group=0", "--no-recursion",
            "-C", tree, "-cf", archive,
        ] + names, in: directory)
        #expect(create.status == 0, "\(create.standardErrorText)")

        let entries = [
            TarEntry(path: tarBytes("sub"), kind: .directory, mode: 0o755, modificationTime: 1_700_000_000),
            TarEntry(path: tarBytes("sub/file.txt"), kind: .regular, mode: 0o640, size: 6, modificationTime: 1_700_000_000),
            TarEntry(path: tarBytes("sub/link"), kind: .symbolicLink, mode: 0o777, modificationTime: 1_700_000_000, linkTarget: tarBytes("file.txt")),
            TarEntry(path: tarBytes(longDirectory), kind: .directory, mode: 0o755, modificationTime: 1_700_000_000),
            TarEntry(path: tarBytes(longDirectory + "/inner"), kind: .regular, mode: 0o640, size: 1000, modificationTime: 1_700_000_000),
        ]
        let ours = tarArchive([
            (entries[0], []), (entries[1], tarBytes("hello\n")), (entries[2], []), (entries[3], []), (entries[4], tarTestContent(1000)),
        ])
        let theirs = Array(try Data(contentsOf: URL(fileURLWithPath: archive)))
        // GNU tar pads the archive to its 10 KiB record size with zeros.
        #expect(theirs.count >= ours.count)
        #expect(tarFirstDifference(Array(theirs.prefix(ours.count)), ours) == nil)
        #expect(theirs.dropFirst(ours.count).allSatisfy { $0 == 0 })
        // And our reader reads their archive, padding included.
        #expect(tarMembers(of: try readTar(theirs)).map(\.entry) == entries)
    }
}
