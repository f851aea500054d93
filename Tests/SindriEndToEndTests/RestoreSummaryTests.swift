import Foundation
import Testing

/// The restore summary keeps what matters visible: directories that already exist are counted
/// apart from real conflicts; conflicts are counted (text and --json), the first 10 named, and
/// a safe restore that leaves any exits 3.
@Suite("restore summary: conflicts apart from existing directories (end to end)")
struct RestoreSummaryTests {
    /// An archive of `conflicts` files `c/f00`... and a tree of `directories` directories, each with a file.
    static func archive(_ box: RestoreSandbox, conflicts: Int, directories: Int) throws -> String {
        let source = box.temp.sub("source")
        let f = Fixture(root: source)
        for index in 0..<conflicts { try f.file(String(format: "c/f%02d", index), "archived \(index)\n") }
        for index in 0..<directories { try f.file(String(format: "tree/d%02d/file", index), "file \(index)\n") }
        return try box.backup(of: source, profile: "full")
    }

    /// A home that already has every directory of the archive (`c`, `tree`, `tree/dNN`), and
    /// `changed` of the conflict files with other contents.
    static func modifiedHome(_ box: RestoreSandbox, changed: Int, directories: Int) throws {
        let h = Fixture(root: box.home)
        try h.directory("c")
        for index in 0..<changed { try h.file(String(format: "c/f%02d", index), "the user's \(index)\n") }
        for index in 0..<directories { try h.directory(String(format: "tree/d%02d", index)) }
    }

    @Test("existing directories are not conflicts: a restore with none exits 0 and says so")
    func directoriesOnly() throws {
        let box = try RestoreSandbox("summary-dirs")
        let archive = try Self.archive(box, conflicts: 2, directories: 5)
        try Self.modifiedHome(box, changed: 0, directories: 5)
        let result = try box.restore(archive)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        // c, tree and tree/d00..d04 already exist.
        #expect(result.stderr.contains("7 skip: directory exists"), "\(result.stderr)")
        #expect(!result.stderr.contains("skip: exists"), "\(result.stderr)")
        #expect(!result.stderr.contains("conflict"), "\(result.stderr)")
    }

    @Test("the undo hint names the home when it is not $HOME, so copying it undoes this restore and no other")
    func undoHintNamesTheHome() throws {
        let box = try RestoreSandbox("summary-hint")
        let archive = try Self.archive(box, conflicts: 1, directories: 1)
        // A file the restore replaces, so that there is a snapshot to undo with.
        try Fixture(root: box.home).file("c/f00", "the user's\n")
        let other = try box.restore(archive, mode: "full")
        #expect(other.status == 0, "stderr: \(other.stderr)")
        #expect(other.stderr.contains("(undo with: sindri rollback --home \(box.home))"), "\(other.stderr)")
        // With the home being $HOME, the plain command is the right one.
        let same = try Sindri.run(["restore", archive, "--no-interactive", "--mode", "full"], environment: ["HOME": box.home], cwd: box.envHome)
        #expect(same.status == 0, "stderr: \(same.stderr)")
        #expect(same.stderr.contains("(undo with: sindri rollback)") || !same.stderr.contains("Pre-restore snapshot"), "\(same.stderr)")
    }

    @Test("three real conflicts among existing directories: counted, named, exit 3 (text)")
    func conflictsText() throws {
        let box = try RestoreSandbox("summary-text")
        let archive = try Self.archive(box, conflicts: 3, directories: 5)
        try Self.modifiedHome(box, changed: 3, directories: 5)
        let result = try box.restore(archive)
        #expect(result.status == 3, "conflicts left: completed with warnings; stderr: \(result.stderr)")
        #expect(result.stderr.contains("(5 create, 3 skip: exists, 7 skip: directory exists)"), "\(result.stderr)")
        #expect(result.stderr.contains("3 conflicts, left as they are (--mode merge or full replaces them):\n  c/f00\n  c/f01\n  c/f02"),
                "\(result.stderr)")
        #expect(box.read("c/f00") == "the user's 0\n", "safe mode left the conflict alone")
        #expect(box.read("tree/d04/file") == "file 4\n")
    }

    @Test("many conflicts: the first 10 named, '… and M more'; --json has conflicts, type_conflicts, conflict_paths")
    func conflictsJSON() throws {
        let box = try RestoreSandbox("summary-json")
        let archive = try Self.archive(box, conflicts: 12, directories: 3)
        try Self.modifiedHome(box, changed: 12, directories: 3)
        let dry = try box.restore(archive, ["--dry-run"])
        #expect(dry.status == 3, "a dry run returns what the run would: \(dry.stderr)")
        #expect(dry.stderr.contains("12 conflicts, left as they are"), "\(dry.stderr)")
        #expect(dry.stderr.contains("  c/f09\n  … and 2 more"), "\(dry.stderr)")
        #expect(!dry.stderr.contains("  c/f10\n"), "\(dry.stderr)")

        let json = try box.restore(archive, ["--json"])
        #expect(json.status == 3, "\(json.stderr)")
        let stream = JSONStream(json.stdout)
        let summary = try #require(stream.of("summary").last)
        #expect(summary["exit_code"] as? Int == 3)
        let details = try #require(summary["details"] as? [String: Any])
        #expect(details["conflicts"] as? Int == 12, "\(details)")
        #expect(details["type_conflicts"] as? Int == 0, "\(details)")
        #expect((details["conflict_paths"] as? [String])?.count == 10, "\(details)")
        #expect((details["conflict_paths"] as? [String])?.first == "c/f00", "\(details)")
        let items = try box.restore(archive, ["--dry-run", "--json"])
        let actions = JSONStream(items.stdout).of("item").compactMap { $0["action"] as? String }
        #expect(actions.filter { $0 == "skip: exists" }.count == 12)
        #expect(actions.filter { $0 == "skip: directory exists" }.count == 5, "c, tree, tree/d00..d02")
    }
}
