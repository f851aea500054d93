import Foundation
import Testing

/// `sindri backup` then `sindri restore` into an empty home gives back exactly what was archived:
/// contents, types, modes, mtimes, symlink targets, hard links and empty directories, minus the
/// protected markers.
@Suite("restore round trip (end to end)")
struct RestoreRoundTripTests {
    static func compare(archive: String, original: String, restored: String) throws -> String {
        try RoundTripCheck.compare(archive: archive, original: original, restored: restored)
    }

    @Test("backup in each profile, restore into an empty home in each mode: the archived tree comes back exactly", arguments: [
        ("user-data", "safe"), ("standard", "safe"), ("full", "safe"), ("standard", "merge"), ("full", "full"),
    ])
    func roundTrip(profile: String, mode: String) throws {
        let box = try RestoreSandbox("rt-\(profile)")
        let source = box.temp.sub("source")
        _ = try Fixture.guideHome(at: source)
        try Fixture(root: source).file("workspace/projects/app/odd mode.sh", "#!/bin/sh\n", mode: 0o750, mtime: 1_234_567_890)
        try Fixture(root: source).directory("workspace/projects/private-dir", mode: 0o700)
        let archive = try box.backup(of: source, profile: profile)

        let result = try box.restore(archive, mode: mode)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Self.compare(archive: archive, original: source, restored: box.home) == "[]")
        for marker in RestoreFixtures.markers {
            #expect(!box.exists(marker), "marker \(marker) was restored")
        }
        #expect(!box.exists(".sindri/restore-snapshots/old.tar.gz"))
        #expect(!box.exists(".backup-manifest.json") && !box.exists(".backup-checksums.sha256"), "metadata members written into the home")
    }

    @Test("the small fixture round-trips, and a second restore of the same archive changes nothing")
    func smallHomeRoundTripTwice() throws {
        let box = try RestoreSandbox("rt-small")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        let first = try box.restore(archive)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(try Self.compare(archive: archive, original: source, restored: box.home) == "[]")

        let afterFirst = try HomeSnapshot.take(box.home, excluding: [".sindri"]).withoutRoot
        for mode in ["safe", "merge", "full"] {
            let again = try box.restore(archive, mode: mode)
            #expect(again.status == 0, "\(mode): \(again.stderr)")
            let now = try HomeSnapshot.take(box.home, excluding: [".sindri"]).withoutRoot
            #expect(now == afterFirst, "\(mode) touched identical files: \(now.differences(from: afterFirst))")
        }
    }

    @Test("restore reads the archive from standard input with -")
    func restoreFromStandardInput() throws {
        let box = try RestoreSandbox("rt-stdin")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        let result = try box.restore("-", stdin: bytes)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Self.compare(archive: archive, original: source, restored: box.home) == "[]")
    }

    @Test("an archive streamed by `sindri backup -o -` (checksum pending, summary member) restores")
    func restoreStreamedBackup() throws {
        let box = try RestoreSandbox("rt-stream")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let streamed = try Sindri.run(["backup", "--home", source, "-o", "-"], environment: ["HOME": box.envHome], cwd: box.envHome)
        #expect(streamed.status == 0, "backup: \(streamed.stderr)")
        let archive = box.file("streamed.tar.gz")
        try streamed.stdout.write(to: URL(fileURLWithPath: archive))
        let result = try box.restore(archive)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Self.compare(archive: archive, original: source, restored: box.home) == "[]")
    }

    @Test("an archive written by GNU tar with a manifest first (pax format, directories, links) restores")
    func restoreGNUTarArchive() throws {
        let box = try RestoreSandbox("rt-gnutar")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let manifest = """
            {"version": "1.1.0", "backup_type": "standard", "created_at": "2024-01-15T10:30:00Z", "created_by": "gnu tar",
             "source": {"instance_name": "x", "provider": "docker", "hostname": "x"}, "profile": "standard",
             "compression": "gzip", "checksum": {"algorithm": "sha256", "value": "pending"},
             "statistics": {"files_included": 7, "total_size_bytes": 0, "compressed_size_bytes": 0, "compression_ratio": 0.0,
                            "duration_seconds": 0.0}, "extensions": {"installed": [], "versions": {}}}
            """
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: source + "/.backup-manifest.json"))
        let archive = box.file("gnu.tar.gz")
        let tar = try Shell.run(["tar", "--format=pax", "-czf", archive, "-C", source,
                                 ".backup-manifest.json", "workspace", ".gitconfig", ".bashrc", ".config"])
        #expect(tar.status == 0, "tar: \(tar.stderr)")
        try FileManager.default.removeItem(atPath: source + "/.backup-manifest.json")
        let result = try box.restore(archive)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Self.compare(archive: archive, original: source, restored: box.home) == "[]")
    }

    /// Stage 1 spreads files over parallel lanes (hash and write), each lane staging into its own
    /// directory; the applier and recovery find each staged file by its name. This home makes the
    /// lanes interleave: thousands of small and empty files between files that span several 1 MiB
    /// gzip members, hard links to files another lane staged, and modes the umask would change.
    static func laneHome(at root: String) throws -> Fixture {
        let f = Fixture(root: root)
        for index in 0..<1500 {
            let size = (index * 7919) % 3000
            try f.data("workspace/projects/many/d\(index % 37)/f\(index)", RestoreFixtures.pseudoRandomBytes(count: size, seed: UInt64(index + 1)),
                       mode: [0o644, 0o600, 0o755, 0o444, 0o666][index % 5], mtime: 1_600_000_000 + index)
            if index % 300 == 0 {
                try f.data("workspace/projects/big/b\(index).bin", RestoreFixtures.pseudoRandomBytes(count: 3 * 1024 * 1024 + index, seed: UInt64(index + 7)))
            }
        }
        try f.directory("workspace/projects/links")
        for index in stride(from: 0, to: 1500, by: 250) {
            try f.hardLink("workspace/projects/links/l\(index)", to: "workspace/projects/many/d\(index % 37)/f\(index)")
        }
        try f.file("workspace/projects/empty-file", "")
        return f
    }

    @Test("files staged by parallel lanes restore exactly, from a file, from stdin and from GNU tar's gzip")
    func parallelStagingRoundTrip() throws {
        let box = try RestoreSandbox("rt-lanes")
        let source = box.temp.sub("source")
        _ = try Self.laneHome(at: source)
        let archive = try box.backup(of: source)
        let listing = try Shell.run(["tar", "-tzf", archive])
        let members = listing.stdoutText.split(separator: "\n")
        #expect(members.filter { $0.hasPrefix("workspace/projects/many/") }.count > 1500, "the standard profile must archive the lane home")
        let result = try box.restore(archive)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Self.compare(archive: archive, original: source, restored: box.home) == "[]")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: box.home + "/.sindri").filter { $0.hasPrefix("txn-") }
        #expect(leftovers.isEmpty, "staging left behind: \(leftovers)")

        // Again in merge mode: the identical-file check (home files hashed on several threads)
        // finds every file identical, so nothing is written and no .bak appears.
        let before = try HomeSnapshot.take(box.home, excluding: [".sindri"]).withoutRoot
        let again = try box.restore(archive, mode: "merge")
        #expect(again.status == 0, "stderr: \(again.stderr)")
        let after = try HomeSnapshot.take(box.home, excluding: [".sindri"]).withoutRoot
        #expect(after == before, "a second restore changed: \(after.differences(from: before).prefix(5))")

        // The same archive through stdin, and the same tree as one zlib stream (GNU tar + gzip):
        // the lanes then copy each delivered buffer instead of sharing it.
        let fromStdin = try RestoreSandbox("rt-lanes-stdin")
        let piped = try fromStdin.restore("-", stdin: try Data(contentsOf: URL(fileURLWithPath: archive)))
        #expect(piped.status == 0, "stderr: \(piped.stderr)")
        #expect(try Self.compare(archive: archive, original: source, restored: fromStdin.home) == "[]")

        let gnu = try RestoreSandbox("rt-lanes-gnu")
        let repacked = gnu.file("gnu.tar.gz")
        let unpacked = gnu.temp.sub("unpacked")
        #expect(try Shell.run(["tar", "-xzf", archive, "-C", unpacked]).status == 0)
        // The manifest's checksum covers our gzip members, which a repack does not keep.
        let manifestPath = unpacked + "/.backup-manifest.json"
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as! [String: Any]
        manifest["checksum"] = ["algorithm": "sha256", "value": "pending"]
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
        #expect(try Shell.run(["sh", "-c", "cd '\(unpacked)' && tar --format=pax --sort=name -cf - .backup-manifest.json workspace .backup-checksums.sha256 | gzip -6 > '\(repacked)'"]).status == 0)
        let fromGNU = try gnu.restore(repacked)
        #expect(fromGNU.status == 0, "stderr: \(fromGNU.stderr)")
        #expect(try Self.compare(archive: repacked, original: source, restored: gnu.home) == "[]")
    }
}
