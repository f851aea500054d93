import Foundation
import Testing

/// `sindri restore ARCHIVE PATH...`: a PATH that matches nothing fails the restore (exit 2, each
/// named on its own line) before anything in the home changes; globs select with the backup
/// patterns' engine; an absolute PATH or one with `..` is explained (exit 64); `./x` and `x/` are `x`.
@Suite("restore PATH selection (end to end)")
struct RestorePathSelectionTests {
    /// An archive of `workspace/app/{main.swift,notes.txt,src/a.swift}`, `workspace/lib/b.swift`,
    /// `.env`, `workspace/app/.env`, `docs/[draft].md`.
    static func archive(_ box: RestoreSandbox) throws -> String {
        let source = box.temp.sub("source")
        let f = Fixture(root: source)
        try f.file("workspace/app/main.swift", "main\n")
        try f.file("workspace/app/notes.txt", "notes\n")
        try f.file("workspace/app/src/a.swift", "a\n")
        try f.file("workspace/lib/b.swift", "b\n")
        try f.file("workspace/app/config.env", "APP=1\n")
        try f.file("top.env", "TOP=1\n")
        try f.file("docs/draft1.md", "draft\n")
        return try box.backup(of: source, profile: "full")
    }

    /// The regular files under the home, relative, sorted (directories and .sindri left out).
    static func files(_ box: RestoreSandbox) throws -> [String] {
        try HomeSnapshot.take(box.home, excluding: [".sindri"]).entries
            .filter { $0.value.hasPrefix("file ") }.map(\.key).sorted()
    }

    @Test("a PATH that matches nothing: each named on its own line, exit 2, the home unchanged (also --dry-run)",
          arguments: [[String](), ["--dry-run"], ["--json"]])
    func unmatched(extra: [String]) throws {
        let box = try RestoreSandbox("paths-unmatched")
        let archive = try Self.archive(box)
        try Fixture(root: box.home).file("mine.txt", "the user's\n")
        let before = try box.homeSnapshot()
        let result = try box.restore(archive, ["workspace/app", "no/such/path", "*.nothing"] + extra)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        if extra == ["--json"] {
            let stream = JSONStream(result.stdout)
            let missing = stream.of("warning").compactMap { $0["path"] as? String }
            #expect(missing == ["no/such/path", "*.nothing"], "\(stream.types)")
            #expect(stream.of("exit_error").last?["code"] as? Int == 2)
        } else {
            let lines = result.stderr.split(separator: "\n").map(String.init)
            #expect(lines.contains("sindri: no/such/path: not found in the archive"), "\(lines)")
            #expect(lines.contains("sindri: *.nothing: not found in the archive"), "\(lines)")
            #expect(!result.stderr.contains("workspace/app: not found"), "\(lines)")
            #expect(!result.stderr.contains("Restored"), "no summary of a restore that did not happen: \(lines)")
        }
        let after = try box.homeSnapshot()
        #expect(after == before, "the home changed: \(after.differences(from: before))")
    }

    @Test("globs select a member and everything below it, anchored at the home", arguments: [
        (["workspace/*/src"], ["workspace/app/src/a.swift"]),
        (["**/*.env"], ["top.env", "workspace/app/config.env"]),
        (["*.env"], ["top.env"]),
        (["workspace/[al]*"], ["workspace/app/config.env", "workspace/app/main.swift", "workspace/app/notes.txt",
                               "workspace/app/src/a.swift", "workspace/lib/b.swift"]),
        (["docs/draft?.md", "workspace/lib"], ["docs/draft1.md", "workspace/lib/b.swift"]),
        (["./workspace/app/src/", "workspace//lib/"], ["workspace/app/src/a.swift", "workspace/lib/b.swift"]),
    ])
    func globs(paths: [String], expected: [String]) throws {
        let box = try RestoreSandbox("paths-glob")
        let archive = try Self.archive(box)
        let dry = try box.restore(archive, paths + ["--dry-run"])
        #expect(dry.status == 0, "stderr: \(dry.stderr)")
        let planned = dry.stdoutText.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return parts.count == 2 && parts[0] == "create" ? String(parts[1]) : nil
        }
        for path in expected { #expect(planned.contains(path), "\(paths): \(path) not planned in \(planned)") }
        let result = try box.restore(archive, paths)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try Self.files(box) == expected, "\(paths)")
    }

    @Test("an absolute PATH or one with .. is explained, exit 64, before the archive is read", arguments: [
        ("/workspace/app", "use workspace/app"),
        ("workspace/../etc", "relative to the home"),
        ("..", "relative to the home"),
    ])
    func absolute(path: String, hint: String) throws {
        let box = try RestoreSandbox("paths-absolute")
        let archive = try Self.archive(box)
        let before = try box.homeSnapshot()
        let result = try box.restore(archive, [path])
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("PATHs are relative to the home, as stored in the archive"), "\(result.stderr)")
        #expect(result.stderr.contains(hint), "\(result.stderr)")
        #expect(try box.homeSnapshot() == before)
    }

    @Test("--help says PATH is literal unless it contains glob characters")
    func help() throws {
        let help = try Sindri.run(["restore", "--help"])
        let text = help.stdoutText.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("A PATH is a literal path unless it contains *, ? or ["), "\(help.stdoutText)")
    }
}
