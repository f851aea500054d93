import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What Python (zlib, hashlib, tarfile: code nobody here wrote) finds in a `sindri backup` archive.
///
/// The gzip stream is walked member by member the way the format documents it: member 0 is the
/// manifest's stored member (its end found by inflating it with `zlib.decompressobj(31)` and
/// reading `unused_data`); every later member carries FLG.FEXTRA with a 12-byte subfield at bytes
/// 12-23: `S` then `B` (a data block) or `T` (the trailer), bytes 16-19 the member's total
/// compressed length (little-endian). Each declared length is checked by inflating exactly that
/// many bytes. The manifest's `checksum.value` must be the SHA256 of the data members' bytes.
package struct ArchiveReport: Decodable {
    package struct Manifest: Decodable {
        package struct Checksum: Decodable {
            package var algorithm: String
            package var value: String
        }
        package struct Statistics: Decodable {
            package var filesIncluded: Int
            package var totalSizeBytes: UInt64
            package var compressedSizeBytes: UInt64
            package var compressionRatio: Double
            package var durationSeconds: Double
        }
        package struct Source: Decodable {
            package var instanceName: String
            package var provider: String
            package var hostname: String
        }
        package struct Extensions: Decodable {
            package var installed: [String]
        }
        package var version: String
        package var backupType: String
        package var profile: String
        package var compression: String
        package var createdBy: String
        package var checksum: Checksum
        package var statistics: Statistics
        package var source: Source
        package var extensions: Extensions
    }

    /// The archive file's size in bytes.
    package var fileSize: UInt64
    /// Where member 0 (the manifest) ends, i.e. where the first data member starts.
    package var manifestMemberEnd: Int
    /// The tar members inside member 0 (must be just the manifest).
    package var manifestMemberNames: [String]
    package var manifest: Manifest
    /// `data` or `trailer` for each member after member 0, in file order.
    package var memberKinds: [String]
    /// Members whose declared length is not where their deflate stream ends.
    package var lengthProblems: [String]
    /// SHA256 of the bytes of the `SB` members, concatenated in file order.
    package var dataChecksum: String
    /// Every tar member name, in order, as Python's tarfile reads it.
    package var names: [String]
    /// Regular-file members that are not the tool's `.backup-*` files (hard links not counted).
    package var regularFiles: Int
    package var regularBytes: UInt64
    package var hardLinks: Int

    package static let script = #"""
        import sys, json, zlib, struct, hashlib, tarfile, io, os
        path = sys.argv[1]
        data = open(path, 'rb').read()
        view = memoryview(data)

        # Member 0: a plain (stored) gzip member; its end is where zlib stops.
        d = zlib.decompressobj(31)
        first = d.decompress(data) + d.flush()
        assert d.eof, 'member 0 is truncated'
        end0 = len(data) - len(d.unused_data)
        with tarfile.open(fileobj=io.BytesIO(first), mode='r:') as t:
            inner = t.getmembers()
            manifest = json.loads(t.extractfile(inner[0]).read())

        kinds, problems, digest, pos = [], [], hashlib.sha256(), end0
        while pos < len(data):
            head = data[pos:pos + 24]
            if head[:2] != b'\x1f\x8b' or not head[3] & 4 or head[12:13] != b'S' or head[13:14] not in (b'B', b'T'):
                problems.append('member at %d is not a block member' % pos)
                break
            length = struct.unpack_from('<I', head, 16)[0]
            d = zlib.decompressobj(31)
            d.decompress(view[pos:pos + length])
            if not d.eof or d.unused_data:
                problems.append('member at %d: declared length %d is wrong' % (pos, length))
            if head[13:14] == b'B':
                kinds.append('data')
                digest.update(view[pos:pos + length])
            else:
                kinds.append('trailer')
            pos += length

        names, regular, size, hard = [], 0, 0, 0
        with tarfile.open(path, 'r:gz') as t:
            for m in t:
                names.append(m.name)
                if m.name.startswith('.backup-') or m.name == '.sindri/backup-index.jsonl':
                    continue
                if m.isreg():
                    regular += 1
                    size += m.size
                elif m.islnk():
                    hard += 1

        print(json.dumps({
            'file_size': len(data), 'manifest_member_end': end0,
            'manifest_member_names': [m.name for m in inner], 'manifest': manifest,
            'member_kinds': kinds, 'length_problems': problems, 'data_checksum': digest.hexdigest(),
            'names': names, 'regular_files': regular, 'regular_bytes': size, 'hard_links': hard,
        }))
        """#

    /// Inspects `archive` with Python.
    package static func inspect(_ archive: String) throws -> ArchiveReport {
        let result = try Shell.python(script, [archive])
        guard result.status == 0 else { throw BackupTestError.tool("python inspector", result.stderr) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ArchiveReport.self, from: result.stdout)
    }
}

package enum BackupTestError: Error, CustomStringConvertible {
    case tool(String, String)
    case timeout(String)

    package var description: String {
        switch self {
        case .tool(let name, let stderr): return "\(name) failed: \(stderr)"
        case .timeout(let what): return "timed out waiting for \(what)"
        }
    }
}
