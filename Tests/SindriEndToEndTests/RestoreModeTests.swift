import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The three modes on a home that already has files: safe never touches them, merge keeps the
/// current version as `.bak` (never clobbering an older `.bak`) and merges shell configs, full
/// overwrites without `.bak`. Files not in the archive are never removed.
@Suite("restore modes (end to end)")
struct RestoreModeTests {
    static let archivedMain = "print(\"hello\")\n"
    static let currentMain = "print(\"the current version\")\n"

    /// A real archive of the small fixture and a home with conflicting versions of two of its files.
    static func prepare(_ box: RestoreSandbox) throws -> String {
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        let home = Fixture(root: box.home)
        try home.file("workspace/projects/app/main.swift", currentMain, mode: 0o600, mtime: 1_650_000_000)
        try home.file(".gitconfig", "[user]\n\tname = Current\n", mtime: 1_650_000_000)
        try home.file("unrelated.txt", "not in the archive\n", mtime: 1_650_000_000)
        return archive
    }

    /// Every path below the home whose name contains `.bak`.
    static func backupCopies(in home: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: home)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if (path as NSString).lastPathComponent.contains(".bak") { found.append(path) }
        }
        return found.sorted()
    }

    @Test("safe mode restores what is missing, leaves existing files untouched and reports the conflicts")
    func safeMode() throws {
        let box = try RestoreSandbox("safe")
        let archive = try Self.prepare(box)
        let before = try HomeSnapshot.take(box.home)
        let result = try box.restore(archive)
        #expect(result.status == 3, "conflicts left: completed with warnings; stderr: \(result.stderr)")
        let after = try HomeSnapshot.take(box.home)
        for kept in ["workspace/projects/app/main.swift", ".gitconfig", "unrelated.txt"] {
            #expect(after.entries[kept] == before.entries[kept], "safe mode touched \(kept)")
        }
        #expect(box.read("workspace/projects/app/README.md") == String(repeating: "Read me.\n", count: 50))
        #expect(box.read(".bashrc") == "export FROM_BACKUP=1\nalias ll='ls -l'\n")
        #expect(box.exists("workspace/projects/empty-dir"))
        #expect(Self.backupCopies(in: box.home).isEmpty)
        let output = OutputCheck.combined(result)
        #expect(output.contains("main.swift") && output.contains(".gitconfig"), "conflicts not reported: \(output)")
    }

    @Test("merge mode keeps the current version as .bak, then restores the archived file with its mode and mtime")
    func mergeKeepsBak() throws {
        let box = try RestoreSandbox("merge")
        let archive = try Self.prepare(box)
        let result = try box.restore(archive, mode: "merge")
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(box.read("workspace/projects/app/main.swift") == Self.archivedMain)
        #expect(box.read("workspace/projects/app/main.swift.bak") == Self.currentMain)
        #expect(box.read(".gitconfig") == "[user]\n\tname = Backup\n")
        #expect(box.read(".gitconfig.bak") == "[user]\n\tname = Current\n")
        let restored = lstatOf(box.home + "/workspace/projects/app/main.swift")
        #expect(restored.map { $0.st_mode & 0o7777 } == 0o644)
        #expect(restored.map { $0.st_mtim.tv_sec } == 1_600_000_000)
        #expect(box.read("unrelated.txt") == "not in the archive\n")
        #expect(Self.backupCopies(in: box.home) == [".gitconfig.bak", "workspace/projects/app/main.swift.bak"])
    }

    @Test("merge mode never clobbers an existing .bak: it picks .bak.1, .bak.2, ...", arguments: [0, 1, 2])
    func mergeNumbersBak(existingCopies: Int) throws {
        let box = try RestoreSandbox("merge-bak")
        let archive = try Self.prepare(box)
        let home = Fixture(root: box.home)
        let names = ["main.swift.bak", "main.swift.bak.1", "main.swift.bak.2", "main.swift.bak.3"]
        for index in 0..<existingCopies {
            try home.file("workspace/projects/app/" + names[index], "older copy \(index)\n", mtime: 1_500_000_000)
        }
        let before = try HomeSnapshot.take(box.home)
        let result = try box.restore(archive, mode: "merge")
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let after = try HomeSnapshot.take(box.home)
        for index in 0..<existingCopies {
            let path = "workspace/projects/app/" + names[index]
            #expect(after.entries[path] == before.entries[path], "\(path) was clobbered")
        }
        #expect(box.read("workspace/projects/app/" + names[existingCopies]) == Self.currentMain)
        #expect(!box.exists("workspace/projects/app/" + names[existingCopies + 1]))
        #expect(box.read("workspace/projects/app/main.swift") == Self.archivedMain)
    }

    @Test("merge mode appends the shell config lines the current file lacks in one marked block, once", arguments: [
        ".bashrc", ".profile", ".bash_profile", ".zshrc",
    ])
    func mergeShellConfig(name: String) throws {
        let box = try RestoreSandbox("merge-shell")
        let current = "# current config\nexport A=1\nalias ll='ls -l'\n"
        let archived = "export A=1\nexport FROM_BACKUP=1\nalias gs='git status'\n"
        try Fixture(root: box.home).file(name, current, mtime: 1_650_000_000)
        let archive = box.file("shell.tar.gz")
        try ArchiveSpec([.file(name, archived, mtime: 1_600_000_000)]).write(to: archive)

        let first = try box.restore(archive, mode: "merge")
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let merged = try #require(box.read(name))
        #expect(merged.hasPrefix(current), "the current file must stay as it is, first: \(merged)")
        let block = String(merged.dropFirst(current.count))
        #expect(block.lowercased().contains("sindri"), "the appended block must be marked: \(block)")
        let lines = merged.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0 == "export FROM_BACKUP=1" }.count == 1)
        #expect(lines.filter { $0 == "alias gs='git status'" }.count == 1)
        #expect(lines.filter { $0 == "export A=1" }.count == 1, "a line both files have was appended again")
        #expect(lines.filter { $0 == "alias ll='ls -l'" }.count == 1)

        let snapshot = try HomeSnapshot.take(box.home, excluding: [".sindri"]).withoutRoot
        let second = try box.restore(archive, mode: "merge")
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(box.read(name) == merged, "restoring twice added something")
        let after = try HomeSnapshot.take(box.home, excluding: [".sindri"]).withoutRoot
        #expect(after == snapshot, "\(after.differences(from: snapshot))")
    }

    @Test("full mode overwrites existing files without .bak, shell configs included, and keeps unrelated files")
    func fullMode() throws {
        let box = try RestoreSandbox("full")
        let archive = try Self.prepare(box)
        try Fixture(root: box.home).file(".bashrc", "export CURRENT=1\n", mtime: 1_650_000_000)
        let result = try box.restore(archive, mode: "full")
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(box.read("workspace/projects/app/main.swift") == Self.archivedMain)
        #expect(box.read(".gitconfig") == "[user]\n\tname = Backup\n")
        #expect(box.read(".bashrc") == "export FROM_BACKUP=1\nalias ll='ls -l'\n")
        let restored = lstatOf(box.home + "/workspace/projects/app/main.swift")
        #expect(restored.map { $0.st_mode & 0o7777 } == 0o644)
        #expect(restored.map { $0.st_mtim.tv_sec } == 1_600_000_000)
        #expect(Self.backupCopies(in: box.home).isEmpty, "full mode made copies: \(Self.backupCopies(in: box.home))")
        #expect(box.read("unrelated.txt") == "not in the archive\n")
    }

    @Test("identical files are left alone in every mode: same inode, same mtime, no .bak", arguments: ["safe", "merge", "full"])
    func identicalFilesUntouched(mode: String) throws {
        let box = try RestoreSandbox("identical")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        // A home holding exact copies (content, mode, mtime) of some archived files, made without sindri.
        let copy = try Shell.run(["cp", "-a", source + "/workspace", source + "/.gitconfig", source + "/.bashrc", box.home + "/"])
        #expect(copy.status == 0, "cp: \(copy.stderr)")
        let before = try HomeSnapshot.take(box.home).withoutRoot
        let result = try box.restore(archive, mode: mode)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let after = try HomeSnapshot.take(box.home, excluding: [".sindri"]).withoutRoot
        for (path, entry) in before.entries where !entry.hasPrefix("dir ") {
            #expect(after.entries[path] == entry, "\(mode) touched identical \(path)")
        }
        #expect(Self.backupCopies(in: box.home).isEmpty)
        #expect(box.read(".config/app/config.json") == "{\"a\": 1}\n", "the missing file was not restored")
    }

    @Test("an unknown mode is a usage error (64)")
    func unknownMode() throws {
        let box = try RestoreSandbox("bad-mode")
        let archive = box.file("a.tar.gz")
        try ArchiveSpec([.file("a.txt", "a\n")]).write(to: archive)
        let result = try box.restore(archive, mode: "yolo")
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(!box.exists("a.txt"))
    }
}
