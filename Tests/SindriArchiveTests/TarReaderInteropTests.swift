import Foundation
import Testing

@testable import SindriArchive

/// Archives written by Python's `tarfile` and GNU tar in their GNU and pax formats, read by our
/// reader and compared field by field (and content byte by byte) with what Python reads.
@Suite("Tar reader interoperability")
struct TarReaderInteropTests {
    /// Writes an archive with Python's tarfile in format `sys.argv[2]` (gnu or pax): long names
    /// (GNU `'L'`), long link targets (`'K'`), ids and a negative mtime beyond octal (base-256 in
    /// GNU, pax records in pax), a fractional mtime, a non-UTF-8 name, devices and a FIFO.
    static let pythonWriterScript = #"""
import io, os, sys, tarfile
fmt = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}[sys.argv[2]]
with tarfile.open(sys.argv[1], "w", format=fmt) as archive:
    def add(name, kind=tarfile.REGTYPE, data=b"", **attrs):
        info = tarfile.TarInfo(name)
        info.type = kind
        info.size = len(data)
        info.mtime = 1700000000
        for key, value in attrs.items():
            setattr(info, key, value)
        archive.addfile(info, io.BytesIO(data) if data else None)
    add("short.txt", data=b"hello")
    add("long/" + "n" * 150 + "/file.txt", data=bytes(range(256)) * 5)
    add("dir-" + "d" * 120, kind=tarfile.DIRTYPE, mode=0o755)
    add("symlink", kind=tarfile.SYMTYPE, linkname="t" * 300)
    add("hard", kind=tarfile.LNKTYPE, linkname="short.txt")
    add("big-ids", data=b"x", uid=3000000, gid=2**32 - 1)
    add("negative-mtime", data=b"y", mtime=-1000)
    add("fraction-mtime", data=b"z", mtime=1700000000.75)
    add("negative-fraction-mtime", data=b"z", mtime=-1.5)
    add(os.fsdecode(b"bytes-\xff\xfe" + b"/x" * 60), data=b"w")
    add("caf\u00e9/\u6587\u4ef6" * 25, data=b"u")
    add("fifo", kind=tarfile.FIFOTYPE)
    add("chardev", kind=tarfile.CHRTYPE, devmajor=1, devminor=3)
    add("empty")
    add("setuid", data=b"s" * 1000, mode=0o4755)
"""#

    /// Builds a tree under `sys.argv[1]` with names given as bytes: content of several sizes,
    /// long paths, a long symlink target, a hard link, an empty directory, a FIFO, a non-UTF-8
    /// name, fractional and negative mtimes, and (as root) a uid beyond 7 octal digits.
    static let treeScript = #"""
import os, sys
root = os.fsencode(sys.argv[1])
def path(*parts):
    return os.path.join(root, *parts)
def write(rel, size, seed):
    with open(path(rel), "wb") as handle:
        handle.write(bytes((i * 31 + seed) % 256 for i in range(size)))
os.makedirs(path(b"a/" + b"b" * 80 + b"/" + b"c" * 80))
os.makedirs(path(b"empty-dir"))
deep = b"a/" + b"b" * 80 + b"/" + b"c" * 80 + b"/" + b"file-with-a-long-name-" + b"x" * 80
write(deep, 70000, 1)
write(b"small.txt", 5, 2)
write(b"block.bin", 512, 3)
write(b"odd.bin", 1025, 4)
write(b"bytes-\xff\xfe.bin", 10, 5)
write(b"caf\xc3\xa9.txt", 3, 6)
os.symlink(b"x" * 200, path(b"long-link"))
os.symlink(b"small.txt", path(b"short-link"))
os.link(path(b"small.txt"), path(b"hard-link"))
os.mkfifo(path(b"pipe"))
os.utime(path(b"odd.bin"), ns=(0, 1700000000_123456789))
os.utime(path(b"block.bin"), ns=(0, -1000_500000000))
try:
    os.chown(path(b"caf\xc3\xa9.txt"), 3000000, 3000001)
except PermissionError:
    pass
"""#

    /// Our reader's view of `archive` must equal Python's, member by member.
    static func expectSameAsPython(_ archive: String, in directory: TarTemporaryDirectory, minimumMembers: Int) throws -> [(entry: TarEntry, content: [UInt8])] {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: archive)))
        let ours = tarMembers(of: try readTar(bytes, chunkSize: 10_000))
        let python = try tarPythonDescribe(archive, in: directory)
        #expect(ours.count == python.count)
        #expect(ours.count >= minimumMembers)
        for (mine, theirs) in zip(ours, python) {
            let label = PathBytes.display(mine.entry.path)
            #expect(mine.entry.path == theirs.nameBytes, "\(label)")
            #expect(mine.entry.kind == theirs.kind, "\(label)")
            #expect(mine.entry.size == theirs.size, "\(label)")
            #expect(mine.entry.mode == theirs.mode, "\(label)")
            #expect(mine.entry.modificationTime == theirs.mtime, "\(label)")
            #expect(mine.entry.uid == theirs.uid, "\(label)")
            #expect(mine.entry.gid == theirs.gid, "\(label)")
            #expect(mine.entry.linkTarget == theirs.linkBytes, "\(label)")
            #expect(mine.entry.deviceMajor == theirs.devmajor, "\(label)")
            #expect(mine.entry.deviceMinor == theirs.devminor, "\(label)")
            if let content = theirs.contentBytes {
                #expect(tarFirstDifference(mine.content, content) == nil, "\(label)")
            }
        }
        return ours
    }

    @Test("archives written by Python tarfile", arguments: ["gnu", "pax"])
    func pythonArchives(format: String) throws {
        let directory = try TarTemporaryDirectory()
        let archive = directory.path("python-\(format).tar")
        let written = try runTarTool(["python3", "-c", Self.pythonWriterScript, archive, format], in: directory)
        #expect(written.status == 0, "\(written.standardErrorText)")
        let ours = try Self.expectSameAsPython(archive, in: directory, minimumMembers: 15)
        let byName = Dictionary(ours.map { (PathBytes.display($0.entry.path), $0.entry) }, uniquingKeysWith: { first, _ in first })
        #expect(byName["big-ids"]?.uid == 3_000_000)
        #expect(byName["big-ids"]?.gid == UInt32.max)
        #expect(byName["negative-mtime"]?.modificationTime == -1000)
        #expect(byName["fraction-mtime"]?.modificationTime == 1_700_000_000)
        // Python's GNU writer truncates a float mtime toward zero; its pax writer keeps the
        // fraction and we floor it, like GNU tar.
        #expect(byName["negative-fraction-mtime"]?.modificationTime == (format == "pax" ? -2 : -1))
        #expect(byName["symlink"]?.linkTarget == TarEncoderBoundaryCase.repeated("t", 300))
        #expect(byName["setuid"]?.mode == 0o4755)
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: archive)))
        if format == "gnu" {
            // The archive really exercises GNU long names, long links and base-256 numbers.
            #expect(raw.count > 512 && Array(raw[0..<13]) == tarBytes("short.txt") + [0, 0, 0, 0])
            #expect(ours.contains { $0.entry.path.count > 256 })
            #expect(Self.containsHeader(raw, typeflag: UInt8(ascii: "L")))
            #expect(Self.containsHeader(raw, typeflag: UInt8(ascii: "K")))
            #expect(raw.contains(0x80) && raw.contains(0xFF))
        } else {
            #expect(Self.containsHeader(raw, typeflag: UInt8(ascii: "x")))
        }
    }

    @Test("huge sizes from Python: GNU base-256 and pax size", arguments: ["gnu", "pax"])
    func pythonHugeSize(format: String) throws {
        let directory = try TarTemporaryDirectory()
        let script = """
        import sys, tarfile
        info = tarfile.TarInfo("huge.bin")
        info.size = 9 * 1024 ** 3 + 7
        info.mtime = 1700000000
        sys.stdout.buffer.write(info.tobuf(tarfile.\(format.uppercased())_FORMAT))
        """
        let written = try runTarTool(["python3", "-c", script], in: directory)
        #expect(written.status == 0)
        var reader = TarReader()
        var seen: [TarEntry] = []
        try reader.consume(written.standardOutput) { event in
            if case .entry(let member) = event { seen.append(member.entry) }
        }
        let expectedSize: UInt64 = 9 * (1 << 30) + 7
        #expect(seen.map(\.size) == [expectedSize])
        #expect(seen.map(\.path) == [tarBytes("huge.bin")])
        #expect(throws: TarFormatError.self) { try reader.finish() }
    }

    @Test("archives written by GNU tar", arguments: ["gnu", "pax", "oldgnu"])
    func gnuTarArchives(format: String) throws {
        let directory = try TarTemporaryDirectory()
        let tree = directory.path("tree")
        let built = try runTarTool(["python3", "-c", Self.treeScript, tree], in: directory)
        #expect(built.status == 0, "\(built.standardErrorText)")
        let archive = directory.path("gnu-\(format).tar")
        let created = try runTarTool(["tar", "--format=\(format)", "--sort=name", "-C", tree, "-cf", archive, "."], in: directory)
        #expect(created.status == 0, "\(created.standardErrorText)")
        let ours = try Self.expectSameAsPython(archive, in: directory, minimumMembers: 14)
        #expect(ours.contains { $0.entry.kind == .fifo })
        #expect(ours.contains { $0.entry.kind == .hardLink })
        #expect(ours.contains { $0.entry.path.count > 256 && $0.entry.size == 70000 })
        #expect(ours.contains { $0.entry.modificationTime == -1001 })
        #expect(ours.contains { $0.entry.path == tarBytes("./bytes-") + [0xFF, 0xFE] + tarBytes(".bin") })
    }

    @Test("archives written by bsdtar", arguments: ["pax", "gnutar"])
    func bsdtarArchives(format: String) throws {
        let directory = try TarTemporaryDirectory()
        let tree = directory.path("tree")
        let built = try runTarTool(["python3", "-c", Self.treeScript, tree], in: directory)
        #expect(built.status == 0, "\(built.standardErrorText)")
        let archive = directory.path("bsd-\(format).tar")
        let created = try runTarTool(["bsdtar", "--format=\(format)", "-C", tree, "-cf", archive, "."], in: directory)
        #expect(created.status == 0, "\(created.standardErrorText)")
        let ours = try Self.expectSameAsPython(archive, in: directory, minimumMembers: 14)
        #expect(ours.contains { $0.entry.path.count > 256 && $0.entry.size == 70000 })
    }

    /// Whether some block of `raw` looks like a header with `typeflag` (a cheap scan for tests).
    static func containsHeader(_ raw: [UInt8], typeflag: UInt8) -> Bool {
        stride(from: 0, to: raw.count - 511, by: 512).contains { offset in
            raw[offset + 156] == typeflag && raw[(offset + 257)..<(offset + 262)].elementsEqual(tarBytes("ustar"))
        }
    }
}
