import Foundation
import Testing
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
struct ArchiveReport: Decodable {
    struct Manifest: Decodable {
        struct Checksum: Decodable {
            var algorithm: String
            var value: String
        }
        struct Statistics: Decodable {
            var filesIncluded: Int
            var totalSizeBytes: UInt64
            var compressedSizeBytes: UInt64
            var compressionRatio: Double
            var durationSeconds: Double
        }
        struct Source: Decodable {
            var instanceName: String
            var provider: String
            var hostname: String
        }
        struct Extensions: Decodable {
            var installed: [String]
        }
        var version: String
        var backupType: String
        var profile: String
        var compression: String
        var createdBy: String
        var checksum: Checksum
        var statistics: Statistics
        var source: Source
        var extensions: Extensions
    }

    /// The archive file's size in bytes.
    var fileSize: UInt64
    /// Where member 0 (the manifest) ends, i.e. where the first data member starts.
    var manifestMemberEnd: Int
    /// The tar members inside member 0 (must be just the manifest).
    var manifestMemberNames: [String]
    var manifest: Manifest
    /// `data` or `trailer` for each member after member 0, in file order.
    var memberKinds: [String]
    /// Members whose declared length is not where their deflate stream ends.
    var lengthProblems: [String]
    /// SHA256 of the bytes of the `SB` members, concatenated in file order.
    var dataChecksum: String
    /// Every tar member name, in order, as Python's tarfile reads it.
    var names: [String]
    /// Regular-file members that are not the tool's `.backup-*` files (hard links not counted).
    var regularFiles: Int
    var regularBytes: UInt64
    var hardLinks: Int

    static let script = #"""
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
    static func inspect(_ archive: String) throws -> ArchiveReport {
        let result = try Shell.python(script, [archive])
        guard result.status == 0 else { throw BackupTestError.tool("python inspector", result.stderr) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ArchiveReport.self, from: result.stdout)
    }
}

enum BackupTestError: Error, CustomStringConvertible {
    case tool(String, String)
    case timeout(String)

    var description: String {
        switch self {
        case .tool(let name, let stderr): return "\(name) failed: \(stderr)"
        case .timeout(let what): return "timed out waiting for \(what)"
        }
    }
}

/// Running `sindri backup` in the ways the end-to-end tests need.
enum BackupRun {
    /// The uid and gid the tests drop to when they run as root (the `nobody` account).
    static let unprivilegedID: UInt32 = 65534

    static var isRoot: Bool { geteuid() == 0 }

    static var hasSetpriv: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }

    /// Whether `runUnprivileged` can work: we are not root, or setpriv can drop root.
    static var canRunUnprivileged: Bool { !isRoot || hasSetpriv }

    /// Runs `sindri` as a user without root's power to read anything: directly when the tests are
    /// not root, else through `setpriv` as uid/gid 65534 with no supplementary groups.
    static func runUnprivileged(_ arguments: [String]) throws -> ProcessOutput {
        guard isRoot else { return try Sindri.run(arguments) }
        let id = String(unprivilegedID)
        return try Shell.run(
            ["setpriv", "--reuid=\(id)", "--regid=\(id)", "--clear-groups", Sindri.binary] + arguments,
            environment: ["HOME": "/nonexistent-sindri-test-home"])
    }

    /// Hands `paths` (recursively) to the unprivileged user when the tests run as root.
    static func giveToUnprivileged(_ paths: String...) throws {
        guard isRoot else { return }
        for path in paths {
            let result = try Shell.run(["chown", "-R", "\(unprivilegedID):\(unprivilegedID)", path])
            guard result.status == 0 else { throw BackupTestError.tool("chown", result.stderr) }
        }
    }

    /// Starts `sindri` without waiting: stdout and stderr go to files in `logDirectory`.
    static func start(_ arguments: [String], logDirectory: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Sindri.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["HOME": "/nonexistent-sindri-test-home"]) { _, new in new }
        _ = FileManager.default.createFile(atPath: logDirectory + "/stdout", contents: nil)
        _ = FileManager.default.createFile(atPath: logDirectory + "/stderr", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: logDirectory + "/stdout")
        process.standardError = FileHandle(forWritingAtPath: logDirectory + "/stderr")
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls until `condition` holds, failing after `timeout` seconds.
    static func wait(for what: String, timeout: Double = 20, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw BackupTestError.timeout(what) }
            usleep(5_000)
        }
    }
}

/// Small file-system helpers for the backup tests.
enum BackupFiles {
    /// The names in a directory, sorted (hidden ones included).
    static func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// The lines of a text, without empty ones.
    static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    }

    /// The archive's members as GNU tar lists them, without the tool's `.backup-*` files and index.
    static func dataMembers(_ archive: String) throws -> Set<String> {
        let listing = try gnuTarList(archive)
        guard listing.status == 0 else { throw BackupTestError.tool("tar -tzf", listing.stderr) }
        return Set(listing.names.filter { !$0.hasPrefix(".backup-") && $0 != ".sindri/backup-index.jsonl" })
    }

    /// A small home under `root` with content in every include root of the standard profile.
    @discardableResult
    static func smallHome(at root: String) throws -> Fixture {
        let f = Fixture(root: root)
        try f.file("workspace/projects/app/main.swift", "print(1)\n")
        try f.file("workspace/projects/app/README.md", String(repeating: "line\n", count: 100))
        try f.file("workspace/config/settings.toml", "a = 1\n")
        try f.file(".gitconfig", "[user]\n")
        return f
    }
}
