import Foundation
import Testing

/// `--exclude` takes gitignore patterns: unanchored names match at every depth, a leading `/`
/// anchors at the home, a pattern with a slash inside is anchored and `*` stays in one component.
@Suite("backup --exclude (end to end)")
struct BackupExcludeTests {
    private func home(_ temp: TemporaryDirectory) throws -> String {
        let home = temp.sub("home")
        let f = Fixture(root: home)
        for path in [
            ".env", ".env.production", "workspace/projects/app/.env", "workspace/projects/app/.env.local",
            "workspace/projects/app/deep/er/.envrc", "workspace/config/.env.example",
            "notes.txt", "workspace/projects/notes.txt", "workspace/projects/app/notes.txt",
            "workspace/projects/app/src/main.swift", "workspace/projects/app/src/nested/util.swift",
            "workspace/projects/lib/src/lib.rs", "workspace/projects/lib/tests/src/fixture.rs",
            "workspace/projects/app/Package.swift", "workspace/projects/app/env.txt", ".gitconfig",
        ] {
            try f.file(path, "contents of \(path)\n")
        }
        return home
    }

    private func members(_ temp: TemporaryDirectory, _ home: String, _ excludes: [String]) throws -> Set<String> {
        let archive = temp.path + "/\(UUID().uuidString).tar.gz"
        let run = try Sindri.run(["backup", "--home", home, "-o", archive, "-p", "full"] + excludes.flatMap { ["--exclude", $0] })
        #expect(run.status == 0, "stderr: \(run.stderr)")
        return try BackupFiles.dataMembers(archive)
    }

    @Test("--exclude '.env*' drops every .env* file at every depth")
    func unanchoredNameMatchesEverywhere() throws {
        let temp = try TemporaryDirectory("exclude-env")
        let home = try home(temp)
        let members = try members(temp, home, [".env*"])
        #expect(!members.contains { $0.split(separator: "/").last?.hasPrefix(".env") == true }, "\(members.sorted())")
        #expect(members.isSuperset(of: ["workspace/projects/app/env.txt", "workspace/projects/app/deep/er/", "notes.txt"]))
    }

    @Test("--exclude '/notes.txt' anchors at the home: deeper notes.txt stay")
    func leadingSlashAnchors() throws {
        let temp = try TemporaryDirectory("exclude-anchor")
        let home = try home(temp)
        let members = try members(temp, home, ["/notes.txt"])
        #expect(!members.contains("notes.txt"))
        #expect(members.isSuperset(of: ["workspace/projects/notes.txt", "workspace/projects/app/notes.txt"]))
    }

    @Test("--exclude 'workspace/projects/*/src' drops those directories and everything below, nothing else")
    func middleSlashPattern() throws {
        let temp = try TemporaryDirectory("exclude-src")
        let home = try home(temp)
        let members = try members(temp, home, ["workspace/projects/*/src"])
        #expect(!members.contains { $0.hasPrefix("workspace/projects/app/src") || $0.hasPrefix("workspace/projects/lib/src") },
                "\(members.sorted())")
        #expect(members.isSuperset(of: [
            "workspace/projects/app/", "workspace/projects/app/Package.swift", "workspace/projects/lib/",
            "workspace/projects/lib/tests/src/fixture.rs",
        ]), "\(members.sorted())")
    }
}
