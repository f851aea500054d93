import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Type conflicts: the archive has a file where the home has a directory, a directory where the
/// home has a file, a symlink where the home has a directory. Full mode replaces the path and
/// parks the original (a directory with its whole subtree) in the snapshot and the transaction;
/// merge keeps it as `.bak`; safe reports the conflict and every path it blocks. No mode skips a
/// path silently.
@Suite("restore type conflicts (end to end)")
struct RestoreTypeConflictTests {
    /// The archive: `d/x` (d a directory), `f` (a file), `l -> e` (a symlink), `e/y`.
    static func archive(_ box: RestoreSandbox) throws -> String {
        let source = box.temp.sub("source")
        let f = Fixture(root: source)
        try f.file("d/x", "archived x\n")
        try f.file("f", "archived f\n")
        try f.file("e/y", "archived y\n")
        try f.symlink("l", to: "e")
        return try box.backup(of: source, profile: "full")
    }

    /// The home: `d` a file, `f` a directory tree with data, `l` a directory with a file, and a
    /// FIFO and a hard-linked pair inside `f` (the snapshot keeps those too).
    static func conflictingHome(_ box: RestoreSandbox) throws {
        let h = Fixture(root: box.home)
        try h.file("d", "the user's file d\n", mtime: 1_650_000_000)
        try h.file("f/sub/keep", "the user's data under f\n", mode: 0o640, mtime: 1_650_000_100)
        try h.hardLink("f/sub/keep-twin", to: "f/sub/keep")
        #expect(mkfifo(box.home + "/f/pipe", 0o600) == 0)
        try h.file("l/z", "the user's data under l\n", mtime: 1_650_000_200)
    }

    @Test("full mode replaces each conflicting path; the originals, trees included, are in the snapshot")
    func fullReplaces() throws {
        let box = try RestoreSandbox("type-full")
        let archive = try Self.archive(box)
        try Self.conflictingHome(box)

        let dry = try box.restore(archive, mode: "full", ["--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let plan = DryRunPlan(dry, home: box.home)
        #expect(plan["d"] == "overwrite" && plan["f"] == "overwrite" && plan["l"] == "overwrite", "\(plan.actions)")
        #expect(plan["d/x"] == "create", "\(plan.actions)")

        let result = try box.restore(archive, mode: "full")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(box.read("d/x") == "archived x\n")
        #expect(box.read("f") == "archived f\n")
        #expect(lstatOf(box.home + "/l").map { $0.st_mode & S_IFMT } == S_IFLNK)
        #expect(!result.stderr.contains("not a directory"), "\(result.stderr)")

        // The snapshot holds every replaced original: the file d, the trees f and l, with the
        // FIFO and the hard link as such.
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: box.home + "/.sindri/restore-snapshots")
        let snapshot = try #require(snapshots.first { $0.hasSuffix(".tar.gz") })
        let listing = try Shell.run(["tar", "-tvzf", box.home + "/.sindri/restore-snapshots/" + snapshot])
        #expect(listing.status == 0, "\(listing.stderr)")
        let lines = listing.stdoutText.split(separator: "\n").map(String.init)
        for name in ["d", "f/", "f/sub/", "f/sub/keep", "l/", "l/z"] {
            #expect(lines.contains { $0.hasSuffix(" " + name) }, "\(name) missing from the snapshot: \(lines)")
        }
        #expect(lines.contains { $0.hasPrefix("p") && $0.hasSuffix(" f/pipe") }, "no FIFO: \(lines)")
        #expect(lines.contains { $0.hasPrefix("h") && $0.contains("f/sub/keep") && $0.contains("link to") }, "no hard link: \(lines)")
        let extracted = box.temp.sub("extracted")
        #expect(try Shell.run(["tar", "-xzf", box.home + "/.sindri/restore-snapshots/" + snapshot, "-C", extracted]).status == 0)
        #expect(FileManager.default.contents(atPath: extracted + "/f/sub/keep").map { String(decoding: $0, as: UTF8.self) } == "the user's data under f\n")
        #expect(FileManager.default.contents(atPath: extracted + "/l/z").map { String(decoding: $0, as: UTF8.self) } == "the user's data under l\n")
    }

    @Test("a full-mode restore with type conflicts that fails at any step rolls back to the exact prior tree")
    func fullFailureRollsBack() throws {
        for limit in 0..<14 {
            let box = try RestoreSandbox("type-full-fail-\(limit)")
            let archive = try Self.archive(box)
            try Self.conflictingHome(box)
            let before = try box.homeSnapshot().withoutRoot
            let result = try Sindri.run(["restore", archive, "--home", box.home, "--no-interactive", "--mode", "full"],
                                        environment: ["HOME": box.envHome, "SINDRI_TEST_FAIL_AFTER_STEPS": String(limit)], cwd: box.envHome)
            if result.status == 0 { break }
            #expect(result.status == 5, "limit \(limit): \(result.stderr)")
            let after = try box.homeSnapshot().withoutRoot
            #expect(after == before, "limit \(limit): \(after.differences(from: before))")
        }
    }

    @Test("merge mode keeps each conflicting original as .bak (a directory with its contents)")
    func mergeKeepsBak() throws {
        let box = try RestoreSandbox("type-merge")
        let archive = try Self.archive(box)
        try Self.conflictingHome(box)
        let result = try box.restore(archive, mode: "merge")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(box.read("d.bak") == "the user's file d\n")
        #expect(box.read("d/x") == "archived x\n")
        #expect(box.read("f.bak/sub/keep") == "the user's data under f\n")
        #expect(box.read("f") == "archived f\n")
        #expect(box.read("l.bak/z") == "the user's data under l\n")
        #expect(lstatOf(box.home + "/l").map { $0.st_mode & S_IFMT } == S_IFLNK)
    }

    @Test("safe mode names every conflict and every path it blocks, and counts them (text and --json)")
    func safeReports() throws {
        let box = try RestoreSandbox("type-safe")
        let archive = try Self.archive(box)
        try Self.conflictingHome(box)
        let before = try box.homeSnapshot()
        let result = try box.restore(archive)
        #expect(result.status == 3, "conflicts left: completed with warnings; \(result.stderr)")
        #expect(result.stderr.contains("4 conflicts, 3 of them type conflicts, left as they are"), "\(result.stderr)")
        let after = try box.homeSnapshot()
        for (path, entry) in before.entries where path != "." {
            #expect(after.entries[path] == entry, "safe mode changed \(path)")
        }
        for path in ["d", "d/x", "f", "l"] {
            #expect(result.stderr.contains("conflict: \(path):"), "\(path) not named: \(result.stderr)")
        }
        #expect(box.read("e/y") == "archived y\n", "what does not conflict is restored")

        let json = try box.restore(archive, ["--dry-run", "--json"])
        let stream = JSONStream(json.stdout)
        let details = try #require(stream.of("summary").last?["details"] as? [String: Any])
        #expect(details["conflicts"] as? Int == 4, "\(details)")
        #expect(details["type_conflicts"] as? Int == 3, "\(details)")
        #expect(Set(details["conflict_paths"] as? [String] ?? []) == ["d", "d/x", "f", "l"], "\(details)")
        let warned = Set(stream.of("warning").compactMap { $0["path"] as? String })
        #expect(warned.isSuperset(of: ["d", "d/x", "f", "l"]), "\(warned)")
    }
}
