import Foundation
import Testing

/// `--dry-run` prints the plan, one `ACTION<TAB>PATH` line per path on stdout, and changes
/// nothing anywhere: not the home, not `.sindri/`, not $HOME, not the archive's folder.
@Suite("restore --dry-run (end to end)")
struct RestoreDryRunTests {
    /// A forged archive of regular files (no directory members, like the original tool's) and a
    /// home where each file is in a known state.
    static func prepare(_ box: RestoreSandbox) throws -> String {
        let archive = box.file("plan.tar.gz")
        try ArchiveSpec([
            .file("new.txt", "only in the archive\n"),
            .file("same.txt", "identical\n", mode: 0o644, mtime: 1_600_000_000),
            .file("different.txt", "archived version\n"),
            .file(".bashrc", "export FROM_BACKUP=1\n"),
            .file("workspace/projects/new/main.swift", "print(1)\n"),
            .file(".initialized", "from archive\n"),
            .file("workspace/.system/bootstrap.yaml", "installed: true\n"),
        ]).write(to: archive)
        let home = Fixture(root: box.home)
        try home.file("same.txt", "identical\n", mode: 0o644, mtime: 1_600_000_000)
        try home.file("different.txt", "current version\n")
        try home.file(".bashrc", "export CURRENT=1\n")
        return archive
    }

    static let expectedPlans: [(String, [String: String])] = [
        ("safe", ["new.txt": "create", "same.txt": "skip: identical", "different.txt": "skip: exists", ".bashrc": "skip: exists",
                  "workspace/projects/new/main.swift": "create", ".initialized": "protected marker",
                  "workspace/.system/bootstrap.yaml": "protected marker"]),
        ("merge", ["new.txt": "create", "same.txt": "skip: identical", "different.txt": "keep .bak and overwrite", ".bashrc": "merge",
                   "workspace/projects/new/main.swift": "create", ".initialized": "protected marker",
                   "workspace/.system/bootstrap.yaml": "protected marker"]),
        ("full", ["new.txt": "create", "same.txt": "skip: identical", "different.txt": "overwrite", ".bashrc": "overwrite",
                  "workspace/projects/new/main.swift": "create", ".initialized": "protected marker",
                  "workspace/.system/bootstrap.yaml": "protected marker"]),
    ]

    @Test("the plan names each path's action and nothing changes", arguments: expectedPlans)
    func planPerMode(mode: String, expected: [String: String]) throws {
        let box = try RestoreSandbox("dry-\(mode)")
        let archive = try Self.prepare(box)
        let before = try box.fullSnapshot()
        let result = try box.restore(archive, mode: mode, ["--dry-run"])
        // Safe mode leaves two conflicts (different.txt, .bashrc): completed with warnings.
        #expect(result.status == (mode == "safe" ? 3 : 0), "stderr: \(result.stderr)")
        let plan = DryRunPlan(result, home: box.home)
        for (path, action) in expected {
            #expect(plan[path] == action, "\(mode) \(path): \(plan[path] ?? "not listed") in\n\(result.stdoutText)")
        }
        let after = try box.fullSnapshot()
        #expect(after == before, "dry run changed: \(after.differences(from: before))")
        #expect(!box.exists(".sindri"))
        #expect(!result.stderr.isEmpty || result.stdoutText.split(separator: "\n").count > expected.count, "no totals printed")
    }

    @Test("a dry run with --force in full mode on a real backup writes nothing and plans every file as create")
    func dryRunOfRealBackupIntoEmptyHome() throws {
        let box = try RestoreSandbox("dry-real")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        let before = try box.fullSnapshot()
        let result = try box.restore(archive, mode: "full", ["--dry-run", "--force", "-v"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let plan = DryRunPlan(result, home: box.home)
        for path in ["workspace/projects/app/main.swift", "workspace/projects/app/data.bin", ".gitconfig", ".bashrc",
                     "workspace/projects/app/link-to-readme", "workspace/projects/app/README-hardlink.md"] {
            #expect(plan[path] == "create", "\(path): \(plan[path] ?? "not listed")")
        }
        #expect(plan[".backup-manifest.json"] == nil && plan[".backup-checksums.sha256"] == nil)
        #expect(try box.fullSnapshot() == before)
    }

    @Test("a dry run after a real restore plans every file as `skip: identical`")
    func dryRunAfterRestore() throws {
        let box = try RestoreSandbox("dry-again")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        #expect(try box.restore(archive).status == 0)
        let before = try box.fullSnapshot()
        for mode in ["safe", "merge", "full"] {
            let result = try box.restore(archive, mode: mode, ["--dry-run"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let plan = DryRunPlan(result, home: box.home)
            for path in ["workspace/projects/app/main.swift", "workspace/projects/app/data.bin", ".gitconfig", ".bashrc"] {
                #expect(plan[path] == "skip: identical", "\(mode) \(path): \(plan[path] ?? "not listed")")
            }
        }
        #expect(try box.fullSnapshot() == before)
    }

    @Test("a dry run of a damaged archive fails verification (4) and writes nothing")
    func dryRunOfDamagedArchive() throws {
        let box = try RestoreSandbox("dry-damaged")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        let damaged = box.file("damaged.tar.gz")
        try ArchiveDamage.flippedContentByteNoArchiveChecksum.make(from: archive, at: damaged)
        let before = try box.fullSnapshot()
        let result = try box.restore(damaged, mode: "full", ["--dry-run"])
        #expect(result.status == 4, "status \(result.status), stderr: \(result.stderr)")
        #expect(try box.fullSnapshot() == before)
    }
}
