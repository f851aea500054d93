import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Manifest versions, archives written by the original tool, and usage errors.
@Suite("restore compatibility (end to end)")
struct RestoreCompatibilityTests {
    static let longDirectory = "workspace/projects/" + String(repeating: "a-very-long-directory-name-", count: 4)
    static let longName = longDirectory + "/file-with-a-long-name.txt"

    /// What the original Rust tool wrote: GNU tar (././@LongLink names, base-256 numbers), regular
    /// files only (no directory members), manifest 1.0.0 with checksum "pending" and no
    /// `extensions`, no `.backup-checksums.sha256`.
    static func legacyArchive(at path: String) throws {
        #expect(longName.utf8.count > 100)
        try ArchiveSpec(manifest: ManifestSpec(version: "1.0.0", profile: "standard", checksum: "pending", legacy: true),
                        checksums: false, [
            .file("workspace/projects/app/main.rs", "fn main() {}\n", mode: 0o644, mtime: 1_600_000_000),
            .file(longName, "long name content\n", mode: 0o640, mtime: 1_600_000_100),
            TarMemberSpec(name: "workspace/projects/app/big-uid.txt", text: "owned by a huge uid\n", mode: 0o644,
                          mtime: 1_600_000_200, uid: 3_000_000, gid: 3_000_000),
            .file("workspace/scripts/run.sh", "#!/bin/sh\n", mode: 0o755, mtime: 1_600_000_300),
            .file(".gitconfig", "[user]\n\tname = Legacy\n", mode: 0o644, mtime: 1_600_000_400),
        ]).write(to: path)
    }

    @Test("the legacy archive builder really makes GNU long names and base-256 numbers")
    func legacyArchiveShape() throws {
        let box = try RestoreSandbox("legacy-shape")
        let archive = box.file("legacy.tar.gz")
        try Self.legacyArchive(at: archive)
        let probe = try Shell.python("""
            import gzip, sys
            raw = gzip.open(sys.argv[1]).read()
            blocks = [raw[i:i + 512] for i in range(0, len(raw), 512)]
            print('longlink' if any(b.startswith(b'././@LongLink') for b in blocks) else 'no-longlink')
            print('base256' if any(b[257:262] == b'ustar' and b[108] & 0x80 for b in blocks) else 'no-base256')
            print('nodirs' if not any(b[257:262] == b'ustar' and b[156:157] == b'5' for b in blocks) else 'dirs')
            """, [archive])
        #expect(probe.stdoutText.split(separator: "\n") == ["longlink", "base256", "nodirs"], "\(probe.stdoutText) \(probe.stderr)")
        let listing = try gnuTarList(archive)
        #expect(listing.status == 0 && listing.names.contains(Self.longName))
    }

    @Test("an archive from the original tool restores: contents, modes, mtimes, parents created")
    func legacyArchiveRestores() throws {
        let box = try RestoreSandbox("legacy")
        let archive = box.file("legacy.tar.gz")
        try Self.legacyArchive(at: archive)
        let result = try box.restore(archive)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(box.read(Self.longName) == "long name content\n")
        #expect(box.read("workspace/projects/app/big-uid.txt") == "owned by a huge uid\n")
        #expect(box.read(".gitconfig") == "[user]\n\tname = Legacy\n")
        let long = lstatOf(box.home + "/" + Self.longName)
        #expect(long.map { $0.st_mode & 0o7777 } == 0o640)
        #expect(long.map { $0.st_mtim.tv_sec } == 1_600_000_100)
        #expect(lstatOf(box.home + "/workspace/scripts/run.sh").map { $0.st_mode & 0o7777 } == 0o755)
        #expect(result.stderr.lowercased().contains("checksum"), "no note that per-file checksums are missing: \(result.stderr)")
    }

    @Test("verify accepts the legacy archive")
    func legacyArchiveVerifies() throws {
        let box = try RestoreSandbox("legacy-verify")
        let archive = box.file("legacy.tar.gz")
        try Self.legacyArchive(at: archive)
        let result = try box.verify(archive)
        #expect(result.status == 0, "stderr: \(result.stderr)")
    }

    @Test("manifest versions: same major restores, newer minor restores with a note", arguments: ["1.0.0", "1.1.0", "1.1.7", "1.9.0"])
    func compatibleVersion(version: String) throws {
        let box = try RestoreSandbox("version-ok")
        let archive = box.file("v.tar.gz")
        try ArchiveSpec(manifest: ManifestSpec(version: version), [.file("notes.txt", "notes\n")]).write(to: archive)
        let result = try box.restore(archive)
        #expect(result.status == 0, "\(version): \(result.stderr)")
        #expect(box.read("notes.txt") == "notes\n")
        if version == "1.9.0" {
            #expect(OutputCheck.combined(result).contains("1.9"), "no note about the newer format: \(result.stderr)")
        }
    }

    @Test("a different major version is refused (1) unless --force", arguments: ["2.0.0", "0.9.0", "3.1.4"])
    func incompatibleVersion(version: String) throws {
        let box = try RestoreSandbox("version-major")
        let archive = box.file("v.tar.gz")
        try ArchiveSpec(manifest: ManifestSpec(version: version), [.file("notes.txt", "notes\n")]).write(to: archive)
        let before = try box.homeSnapshot()
        let refused = try box.restore(archive)
        #expect(refused.status == 1, "\(version): status \(refused.status), stderr: \(refused.stderr)")
        #expect(refused.stderr.contains("--force"), "the refusal should name --force: \(refused.stderr)")
        #expect(try box.homeSnapshot() == before)

        let forced = try box.restore(archive, ["--force"])
        #expect(forced.status == 0 || forced.status == 3, "\(version) --force: \(forced.stderr)")
        #expect(box.read("notes.txt") == "notes\n")
    }

    @Test("an unparseable version is a validation error (4), even with --force", arguments: ["banana", "", "1.x.0", "1.0.0.0", "-1.0.0"])
    func unknownVersion(version: String) throws {
        let box = try RestoreSandbox("version-bad")
        let archive = box.file("v.tar.gz")
        try ArchiveSpec(manifest: ManifestSpec(version: version), [.file("notes.txt", "notes\n")]).write(to: archive)
        let before = try box.homeSnapshot()
        for extra in [[], ["--force"]] {
            let result = try box.restore(archive, extra)
            #expect(result.status == 4, "\(version) \(extra): status \(result.status), stderr: \(result.stderr)")
        }
        #expect(try box.verify(archive).status == 4)
        #expect(try box.homeSnapshot() == before)
    }

    @Test("usage errors exit 64 and write nothing", arguments: [
        ["restore"], ["restore", "{archive}", "--mode", "everything"], ["restore", "{archive}", "--bogus-flag"],
        ["restore", "{missing}"], ["verify"], ["verify", "{missing}"], ["verify", "{archive}", "{archive}"],
    ])
    func usageErrors(arguments: [String]) throws {
        let box = try RestoreSandbox("usage")
        let archive = box.file("a.tar.gz")
        try ArchiveSpec([.file("a.txt", "a\n")]).write(to: archive)
        let resolved = arguments.map {
            $0 == "{archive}" ? archive : $0 == "{missing}" ? box.file("does-not-exist.tar.gz") : $0
        } + (arguments.first == "restore" ? ["--home", box.home, "--no-interactive"] : [])
        let before = try box.fullSnapshot()
        let result = try Sindri.run(resolved, environment: ["HOME": box.envHome], cwd: box.envHome)
        #expect(result.status == 64, "\(arguments): status \(result.status), stderr: \(result.stderr)")
        #expect(try box.fullSnapshot() == before)
    }
}
