import Foundation
import Testing

/// File names are bytes: long paths (ustar's 100-byte name field, the 255 bytes of prefix + name),
/// a single 150-byte component, UTF-8, and bytes that are not UTF-8 at all come back exactly,
/// through GNU tar, bsdtar and Python's tarfile.
@Suite("backup file names (end to end)")
struct BackupNameTests {
    /// Creates the names with Python, from bytes, and prints each one's hex.
    static let createNames = #"""
        import os, sys
        root = os.fsencode(sys.argv[1]) + b'/workspace/projects/'
        names = [
            b'd' * 60 + b'/' + b'e' * 60 + b'/over-100.txt',                        # > 100 bytes
            b'/'.join(b'seg%03d' % i + b'x' * 40 for i in range(6)) + b'/over-255.txt',  # > 255 bytes
            b'c' * 150,                                                             # one 150-byte component
            'ünïcødé/日本語 ファイル.txt'.encode(),                                    # UTF-8
            b'latin1-\xe9t\xe9.txt',                                                # not UTF-8, short
            b'n' * 120 + b'/not-utf8-\xff\xfe-' + b'z' * 100,                      # not UTF-8, needs pax
        ]
        for i, name in enumerate(names):
            path = root + name
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'wb') as f:
                f.write(b'content %d of ' % i + name)
        """#

    /// Lists a tree as (path bytes, kind, content) in hex, sorted: a byte-exact picture.
    static let listTree = #"""
        import os, sys, json
        root = os.fsencode(sys.argv[1])
        out = []
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                if rel.startswith(b'.backup-'):
                    continue
                if os.path.isdir(full):
                    out.append([rel.hex(), 'dir', ''])
                else:
                    out.append([rel.hex(), 'file', open(full, 'rb').read().hex()])
        print(json.dumps(sorted(out)))
        """#

    /// The same picture of `workspace/`, read from the archive with tarfile (names turned back
    /// into bytes with os.fsencode, which undoes tarfile's surrogateescape decoding).
    static let listArchive = #"""
        import os, sys, json, tarfile
        out = []
        with tarfile.open(sys.argv[1], 'r:gz') as t:
            for m in t:
                name = os.fsencode(m.name).rstrip(b'/')
                if not name.startswith(b'workspace/'):
                    continue
                rel = name[len(b'workspace/'):]
                if m.isdir():
                    out.append([rel.hex(), 'dir', ''])
                else:
                    out.append([rel.hex(), 'file', t.extractfile(m).read().hex()])
        print(json.dumps(sorted(out)))
        """#

    /// The one line GNU tar may print: it does not know `hdrcharset`, which marks a pax path as
    /// raw bytes (bsdtar needs it to keep non-UTF-8 names); it keeps the bytes all the same.
    static let gnuTarHdrcharsetNote = "tar: Ignoring unknown extended header keyword 'hdrcharset'"

    @Test("long, UTF-8 and non-UTF-8 names round-trip byte for byte through GNU tar, bsdtar and tarfile")
    func namesRoundTrip() throws {
        let temp = try TemporaryDirectory("names")
        let home = temp.sub("home")
        let make = try Shell.python(Self.createNames, [home])
        try #require(make.status == 0, "\(make.stderr)")
        let archive = temp.path + "/names.tar.gz"
        let run = try Sindri.run(["backup", "--home", home, "-o", archive])
        #expect(run.status == 0, "stderr: \(run.stderr)")

        let expected = try Shell.python(Self.listTree, [home + "/workspace"]).stdoutText
        #expect(expected.contains(Data("not-utf8-".utf8).map { String(format: "%02x", $0) }.joined()))

        let gnu = temp.sub("gnu")
        let gnuRun = try Shell.run(["tar", "-xzf", archive, "-C", gnu])
        #expect(gnuRun.status == 0)
        let gnuLines = BackupFiles.lines(gnuRun.stderr)
        #expect(gnuLines.isEmpty || gnuLines == [Self.gnuTarHdrcharsetNote], "GNU tar: \(gnuRun.stderr)")
        #expect(try Shell.python(Self.listTree, [gnu + "/workspace"]).stdoutText == expected, "GNU tar extraction differs")

        let bsd = temp.sub("bsd")
        let bsdRun = try Shell.run(["bsdtar", "-xzf", archive, "-C", bsd])
        #expect(bsdRun.status == 0 && bsdRun.stderr.isEmpty, "bsdtar: \(bsdRun.stderr)")
        #expect(try Shell.python(Self.listTree, [bsd + "/workspace"]).stdoutText == expected, "bsdtar extraction differs")

        let python = try Shell.python(Self.listArchive, [archive])
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdoutText == expected, "tarfile reads different names or contents")

        // The per-file checksum list names the same bytes: sha256sum finds every file.
        let verify = try Shell.run(["sha256sum", "-c", "--quiet", ".backup-checksums.sha256"], cwd: gnu)
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")
    }
}
