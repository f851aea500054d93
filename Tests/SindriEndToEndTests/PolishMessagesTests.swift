import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a new user meets at the edges: archives of the original tool with sparse manifests,
/// damaged archives named the same way by every command, terminal refusals, JSON and summary text.
@Suite("polish: messages, manifests, JSON (end to end)")
struct PolishMessagesTests {
    /// A complete manifest as the original tool wrote it; each test removes keys from it.
    nonisolated(unsafe) static let fullManifest: [String: Any] = [
        "version": "1.0.0", "backup_type": "standard", "created_at": "2024-01-15T10:30:00Z",
        "created_by": "sindri-cli v3.0.0",
        "source": ["instance_name": "old", "provider": "fly", "hostname": "old.fly.dev"],
        "profile": "standard", "compression": "gzip",
        "checksum": ["algorithm": "sha256", "value": "pending"],
        "statistics": ["files_included": 1, "total_size_bytes": 6, "compressed_size_bytes": 0,
                       "compression_ratio": 0.0, "duration_seconds": 1.5],
        "extensions": ["installed": ["nodejs"], "versions": ["nodejs": "1.2.0"]],
    ]

    /// Every key an older writer may leave out (dotted: inside an object).
    static let optionalKeys = [
        "backup_type", "profile", "source", "source.instance_name", "source.provider", "source.hostname",
        "compression", "checksum", "checksum.algorithm", "checksum.value",
        "statistics.compressed_size_bytes", "statistics.compression_ratio", "statistics.duration_seconds",
        "extensions", "extensions.installed", "extensions.versions",
    ]

    static func manifestText(without key: String?) throws -> String {
        var manifest = fullManifest
        if let key {
            let parts = key.split(separator: ".").map(String.init)
            if parts.count == 1 {
                manifest.removeValue(forKey: parts[0])
            } else {
                var inner = manifest[parts[0]] as! [String: Any]
                inner.removeValue(forKey: parts[1])
                manifest[parts[0]] = inner
            }
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted]), as: UTF8.self)
    }

    @Test("a manifest missing any optional field restores, verifies and lists", arguments: optionalKeys)
    func sparseManifestRestores(missing: String) throws {
        let box = try RestoreSandbox("sparse-manifest")
        let archive = box.file("old.tar.gz")
        var spec = ArchiveSpec(manifest: nil, checksums: false, [.file("notes.txt", "notes\n")])
        spec.manifestText = try Self.manifestText(without: missing)
        try spec.write(to: archive)
        let restored = try box.restore(archive)
        #expect(restored.status == 0, "without \(missing): \(restored.stderr)")
        #expect(box.read("notes.txt") == "notes\n")
        #expect(!restored.stderr.contains("DecodingError") && !restored.stderr.contains("keyNotFound"))
        let verified = try box.verify(archive)
        #expect(verified.status == 0, "without \(missing): \(verified.stderr)")
        let listed = try Sindri.run(["list", archive])
        #expect(listed.status == 0, "without \(missing): \(listed.stderr)")
        #expect(listed.stdoutText.contains("notes.txt"))
    }

    @Test("an unusable manifest is one plain sentence, the same in every command", arguments: [
        ("{\"backup_type\": \"standard\"}", "the manifest has no 'version'"),
        ("{\"version\": \"1.1.0\"}", "the manifest has no 'profile'"),
        ("{\"version\": \"1.1.0\", \"profile\": \"standard\"}", "the manifest has no 'created_at'"),
        ("{\"version\": \"1.0.0\", \"profile\": \"standard\", \"created_at\": \"2024-01-15T10:30:00Z\", \"created_by\": \"old\", \"statistics\": {\"files_included\": \"many\", \"total_size_bytes\": 6}}", "the manifest's 'statistics.files_included' has the wrong kind of value"),
        ("not json at all", "the manifest is not valid JSON"),
    ])
    func unusableManifest(text: String, expected: String) throws {
        let box = try RestoreSandbox("bad-manifest")
        let archive = box.file("bad.tar.gz")
        var spec = ArchiveSpec(manifest: nil, checksums: false, [.file("notes.txt", "notes\n")])
        spec.manifestText = text
        try spec.write(to: archive)
        for result in [try box.restore(archive), try box.verify(archive)] {
            #expect(result.status == 4)
            #expect(result.stderr == "sindri: error: \(archive): \(expected)\n", "\(result.stderr)")
        }
    }

    /// A real archive of several gzip members: the manifest, three data blocks, the trailer.
    static func multiMemberArchive(_ box: RestoreSandbox) throws -> String {
        let source = box.temp.sub("source")
        try Fixture(root: source).data("data/big.bin", RestoreFixtures.pseudoRandomBytes(count: 3_300_000))
        try Fixture(root: source).file("notes.txt", "notes\n")
        let archive = box.file("multi.tar.gz")
        let result = try Sindri.run(["backup", "--home", source, "-p", "full", "-o", archive, "-q"])
        #expect(result.status == 0, "\(result.stderr)")
        return archive
    }

    @Test("a truncated archive: list, verify and restore name the same member and byte, wherever the cut")
    func truncationNamedAlike() throws {
        let box = try RestoreSandbox("truncated-alike")
        let archive = try Self.multiMemberArchive(box)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        var membersNamed = Set<String>()
        for cut in [700, 3000, 1_200_000, 2_500_000, bytes.count - 4000] {
            let cutPath = box.file("cut-\(cut).tar.gz")
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: cutPath))
            let listed = try Sindri.run(["list", cutPath])
            let verified = try box.verify(cutPath)
            let restored = try box.restore(cutPath)
            let piped = try box.verify("-", stdin: bytes.prefix(cut))
            #expect([listed.status, verified.status, restored.status, piped.status] == [4, 4, 4, 4])
            #expect(verified.stderr.hasPrefix("sindri: error: \(cutPath): truncated after \(cut) bytes: the input ends inside gzip member "),
                    "\(verified.stderr)")
            #expect(listed.stderr == verified.stderr, "list: \(listed.stderr) verify: \(verified.stderr)")
            #expect(restored.stderr == verified.stderr, "restore: \(restored.stderr) verify: \(verified.stderr)")
            #expect(piped.stderr == verified.stderr.replacingOccurrences(of: cutPath, with: "standard input"))
            membersNamed.insert(String(verified.stderr.split(separator: ":").last ?? ""))
            for text in [listed.stderr, verified.stderr] {
                #expect(!text.contains("GzipStreamDecoder") && !text.contains("[") && !text.contains("libdeflate"))
            }
        }
        // Not always "member 1, which started at byte 0": each cut names its own member.
        #expect(membersNamed.count == 5, "\(membersNamed)")
    }

    @Test("damage reads the same in every command, without library or type names")
    func damageWording() throws {
        let box = try RestoreSandbox("damage-wording")
        let archive = try Self.multiMemberArchive(box)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        bytes[2_000_000] ^= 0xFF
        let flipped = box.file("flipped.tar.gz")
        try bytes.write(to: URL(fileURLWithPath: flipped))
        let verified = try box.verify(flipped)
        let restored = try box.restore(flipped)
        #expect(verified.status == 4 && restored.status == 4)
        #expect(verified.stderr.contains("corrupt data in gzip member "), "\(verified.stderr)")
        #expect(restored.stderr == verified.stderr)
        #expect(!verified.stderr.contains("libdeflate") && !verified.stderr.contains("more room"))

        let text = box.file("plain.txt")
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: text))
        let missing = box.file("missing.tar.gz")
        let cases: [(String, String)] = [
            (text, "sindri: error: \(text): not a gzip file\n"),
            (missing, "sindri: error: archive \(missing) does not exist\n"),
            (box.home, "sindri: error: archive \(box.home) is a directory\n"),
        ]
        for (path, expected) in cases {
            let outputs = [try Sindri.run(["list", path]), try box.verify(path), try box.restore(path)]
            for output in outputs {
                #expect(output.stderr == expected, "\(output.stderr)")
            }
        }
    }

    @Test("verify - and restore - refuse a terminal on standard input at once (exit 64), as tar does")
    func terminalStandardInput() throws {
        guard Terminal.isAvailable else { return }
        let box = try RestoreSandbox("tty-stdin")
        for arguments in [["verify", "-"], ["restore", "-", "--home", box.home], ["list", "-"]] {
            let result = try Terminal.run(["timeout", "20", Sindri.binary] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stdoutText)")
            #expect(result.stdoutText.contains("refusing to read archive contents from terminal"), "\(result.stdoutText)")
        }
    }

    @Test("bench: a missing --temp-dir and --json with --format are usage errors (exit 64)")
    func benchUsage() throws {
        let missing = try Sindri.run(["bench", "--synthetic", "1M", "--temp-dir", "/nonexistent-sindri-dir"])
        #expect(missing.status == 64, "\(missing.stderr)")
        #expect(missing.stderr.contains("--temp-dir") && missing.stderr.contains("sindri bench --help"), "\(missing.stderr)")
        let both = try Sindri.run(["bench", "--synthetic", "1M", "--json", "--format", "csv"])
        #expect(both.status == 64)
        #expect(JSONStream(both.stdout).of("exit_error").count == 1, "\(both.stdoutText)")
    }

    @Test("a usage error points at the command's own help")
    func usageErrorPointsAtCommandHelp() throws {
        let result = try Sindri.run(["verify", "--no-such-option", "x"])
        #expect(result.status == 64)
        #expect(result.stderr.hasSuffix("(see sindri verify --help)\n"), "\(result.stderr)")
    }

    @Test("an unreadable exclude file says why")
    func excludeFileReason() throws {
        let temp = try TemporaryDirectory("exclude-reason")
        let home = temp.sub("home")
        let result = try Sindri.run(["backup", "--home", home, "--exclude-file", temp.path + "/none", "-o", temp.path + "/b.tar.gz"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("cannot read exclude file \(temp.path)/none: it does not exist"), "\(result.stderr)")
    }

    @Test("--json -q: no status messages; percent_done is a fraction; odd names carry path_bytes")
    func jsonQuietAndPathBytes() throws {
        let box = try RestoreSandbox("json-quiet")
        let source = box.temp.sub("source")
        try Fixture(root: source).file("plain.txt", "plain\n")
        let odd = box.temp.path + "/source/new\nline"
        try Data("x".utf8).write(to: URL(fileURLWithPath: odd))
        // A Latin-1 name: not valid UTF-8.
        let raw = Array((box.temp.path + "/source/caf").utf8) + [0xE9, 0]
        let fd = raw.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)
        let archive = box.file("odd.tar.gz")
        let quiet = try Sindri.run(["backup", "--home", source, "-p", "full", "-o", archive, "--json", "-q"])
        let stream = JSONStream(quiet.stdout)
        #expect(quiet.status == 0 && stream.badLines.isEmpty, "\(quiet.stderr)")
        #expect(stream.of("status").isEmpty, "\(stream.types)")
        #expect(stream.of("summary").count == 1)
        let loud = JSONStream(try Sindri.run(["verify", archive, "--json"]).stdout)
        for status in loud.of("status") {
            let fraction = try #require(status["percent_done"] as? Double)
            #expect((0...1).contains(fraction))
        }
        let listed = JSONStream(try Sindri.run(["list", archive, "--json"]).stdout).of("item")
        let names = Set(listed.compactMap { item -> [UInt8]? in
            guard let encoded = item["path_bytes"] as? String, let data = Data(base64Encoded: encoded) else { return nil }
            return Array(data)
        })
        #expect(names.contains(Array("new\nline".utf8)), "\(listed)")
        #expect(names.contains(Array("caf".utf8) + [0xE9]), "\(listed)")
        // The escaped rendering comes with the exact bytes; a plain name has no path_bytes.
        #expect(listed.contains { $0["path"] as? String == "caf\\xe9" && $0["path_bytes"] != nil })
        #expect(listed.contains { $0["path"] as? String == "plain.txt" && $0["path_bytes"] == nil }, "\(listed)")
    }

    @Test("summaries: singular counts, a tiny home's size change, standard input named as such")
    func summaryText() throws {
        let box = try RestoreSandbox("summary-text")
        let source = box.temp.sub("source")
        try Fixture(root: source).file("a.txt", "hi")
        let archive = box.file("one.tar.gz")
        let backup = try Sindri.run(["backup", "--home", source, "-p", "full", "-o", archive])
        #expect(backup.status == 0)
        #expect(backup.stderr.contains("(1 file, 2 B -> "), "\(backup.stderr)")
        #expect(!backup.stderr.contains("%"), "a percentage of 2 bytes says nothing: \(backup.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: archive))
        let restored = try box.restore("-", ["--no-interactive"], stdin: data)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stderr.contains("Restored 1 path from standard input into"), "\(restored.stderr)")
        let listed = try Sindri.run(["list", archive])
        #expect(listed.stdoutText.contains("Profile:     full, compression gzip"), "\(listed.stdoutText)")
    }

    @Test("list of an archive written to standard output reads its trailing summary")
    func listStreamedArchive() throws {
        let temp = try TemporaryDirectory("list-streamed")
        let home = temp.sub("home")
        try Fixture(root: home).file("a.txt", "hello\n")
        let streamed = try Sindri.run(["backup", "--home", home, "-p", "full", "-o", "-", "-q"])
        #expect(streamed.status == 0)
        let archive = temp.path + "/s.tar.gz"
        try streamed.stdout.write(to: URL(fileURLWithPath: archive))
        let listed = try Sindri.run(["list", archive])
        #expect(listed.status == 0, "\(listed.stderr)")
        let checksum = listed.stdoutText.split(separator: "\n").last { $0.hasPrefix("Checksum:    sha256 ") }
        #expect(checksum?.contains("(from .backup-summary.json)") == true, "\(listed.stdoutText)")
        #expect(listed.stdoutText.contains("Contents:    1 file, 6 B"), "\(listed.stdoutText)")
        let json = JSONStream(try Sindri.run(["list", archive, "--json"]).stdout).of("summary").first
        let details = json?["details"] as? [String: Any]
        #expect((details?["backup_summary"] as? [String: Any])?["data_checksum"] is String, "\(String(describing: json))")
    }

    @Test("the lock has its own exit status, 11")
    func lockExitStatus() throws {
        let box = try RestoreSandbox("lock-status")
        let archive = box.file("l.tar.gz")
        try ArchiveSpec([.file("n.txt", "n\n")]).write(to: archive)
        try FileManager.default.createDirectory(atPath: box.home + "/.sindri", withIntermediateDirectories: true)
        // Hold the home's lock from another process for the duration of the restore.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [box.home + "/.sindri/lock", "sleep", "20"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        usleep(300_000)
        let result = try box.restore(archive)
        #expect(result.status == 11, "\(result.status) \(result.stderr)")
    }
}

@Suite("polish: verify's report (end to end)")
struct PolishVerifyReportTests {
    @Test("verify's report is on standard output, errors alone on standard error")
    func reportOnStandardOutput() throws {
        let box = try RestoreSandbox("verify-stdout")
        let archive = box.file("v.tar.gz")
        try ArchiveSpec([.file("n.txt", "n\n")]).write(to: archive)
        let result = try box.verify(archive)
        #expect(result.status == 0)
        #expect(result.stdoutText.hasPrefix("Verified \(archive):") && result.stdoutText.hasSuffix("OK\n"), "\(result.stdoutText)")
        #expect(!result.stderr.contains("Verified"), "\(result.stderr)")
    }
}
