import Foundation
import Testing

@testable import SindriArchive

/// One member as Python's `tarfile` sees it.
struct TarPythonMember: Decodable, Hashable {
    var name: String
    var type: String
    var size: UInt64
    var mode: UInt32
    var mtime: Int64
    var uid: UInt32
    var gid: UInt32
    var linkname: String
    var devmajor: UInt32
    var devminor: UInt32
    var content: String?

    var nameBytes: [UInt8] { hexBytes(name) }
    var linkBytes: [UInt8] { hexBytes(linkname) }
    var contentBytes: [UInt8]? { content.map(hexBytes) }
    var kind: TarEntryKind { TarEntryKind(typeflag: hexBytes(type).first ?? 0) }
}

private func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { index in
        UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16)!
    }
}

/// Python script printing one JSON object per member of the archive `sys.argv[1]`; names and
/// link targets are hex of `os.fsencode` (surrogateescape gives back the stored bytes).
let tarPythonDescribeScript = #"""
import hashlib, json, math, os, sys, tarfile
with tarfile.open(sys.argv[1], "r:") as archive:
    for m in archive:
        name = os.fsencode(m.name)
        if len(name) > 1:
            name = name.rstrip(b"/") or b"/"
        record = {"name": name.hex(), "type": m.type.hex(), "size": m.size, "mode": m.mode & 0o7777,
                  "mtime": math.floor(m.mtime), "uid": m.uid, "gid": m.gid,
                  "linkname": os.fsencode(m.linkname).hex(), "devmajor": m.devmajor, "devminor": m.devminor}
        if m.isreg() and m.size <= (1 << 20):
            record["content"] = archive.extractfile(m).read().hex()
        print(json.dumps(record))
"""#

/// Lists `archivePath` with Python's `tarfile`; expects no output on stderr.
func tarPythonDescribe(_ archivePath: String, in directory: TarTemporaryDirectory) throws -> [TarPythonMember] {
    let result = try runTarTool(["python3", "-c", tarPythonDescribeScript, archivePath], in: directory)
    #expect(result.status == 0, "python3 failed: \(result.standardErrorText)")
    #expect(result.standardError.isEmpty, "python3 wrote to stderr: \(result.standardErrorText)")
    return try result.standardOutputText.split(separator: "\n").map {
        try JSONDecoder().decode(TarPythonMember.self, from: Data($0.utf8))
    }
}
