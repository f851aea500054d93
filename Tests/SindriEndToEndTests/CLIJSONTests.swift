import Foundation
import Testing

/// `--json`: JSON Lines on the right stream, nothing else on it, and the promised messages.
@Suite("--json streams (end to end)")
struct CLIJSONTests {
    static func isRFC3339(_ value: Any?) -> Bool {
        guard let text = value as? String,
              let pattern = try? Regex(#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"#) else { return false }
        return text.wholeMatch(of: pattern) != nil
    }

    @Test("backup --json: status then summary on stdout, every line JSON, sizes in bytes, times RFC 3339")
    func backupStream() throws {
        let temp = try TemporaryDirectory("json-backup")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        try Fixture(root: home).data("workspace/projects/big.bin", CLIFiles.randomData(3 << 20))
        let archive = temp.path + "/out.tar.gz"
        let run = try Sindri.run(["backup", "--home", home, "-o", archive, "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "not JSON: \(stream.badLines)")
        #expect(stream.types.last == "summary", "\(stream.types)")
        #expect(!stream.of("status").isEmpty, "at least one status: \(stream.types)")
        #expect(Set(stream.types).isSubset(of: ["status", "summary"]), "\(stream.types)")

        let status = try #require(stream.of("status").last)
        #expect(status["command"] as? String == "backup")
        #expect(status["total_files"] as? Int == 5)
        #expect((status["total_bytes"] as? Int ?? 0) > 3 << 20)
        #expect(status["percent_done"] as? Double == 1)
        #expect(status["seconds_elapsed"] is Double || status["seconds_elapsed"] is Int)

        let summary = try #require(stream.of("summary").last)
        #expect(summary["dry_run"] as? Bool == false)
        #expect(summary["exit_code"] as? Int == 0)
        #expect(summary["archive_path"] as? String == archive)
        #expect(summary["archive_bytes"] as? Int == Int(CLIFiles.size(archive)))
        #expect(summary["files"] as? Int == 5)
        #expect(Self.isRFC3339(summary["started_at"]), "\(summary["started_at"] ?? "nil")")
        #expect(summary["duration_seconds"] is Double || summary["duration_seconds"] is Int)
        let manifest = try #require(summary["manifest"] as? [String: Any])
        #expect(Self.isRFC3339(manifest["created_at"]))
        #expect(run.stderr.isEmpty, "text mode output leaked: \(run.stderr)")
    }

    @Test("backup -o - --json: the archive on stdout, the JSON stream on stderr and nothing else there")
    func streamToStandardOutput() throws {
        let temp = try TemporaryDirectory("json-stdout")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        let run = try Sindri.run(["backup", "--home", home, "-o", "-", "--json", "-v"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.prefix(2) == Data([0x1F, 0x8B]), "stdout carries the archive")
        let stream = JSONStream(run.stderr)
        #expect(stream.badLines.isEmpty, "not JSON on stderr: \(stream.badLines)")
        #expect(stream.types.last == "summary")
        let items = stream.of("item")
        #expect(items.contains { $0["path"] as? String == "workspace/projects/app/main.swift" && $0["action"] as? String == "include" })
        #expect(stream.of("summary").first?["archive_path"] == nil, "no path for standard output")
    }

    @Test("backup --dry-run --json: one item per path with the deciding rule, a summary with dry_run true")
    func dryRunItems() throws {
        let temp = try TemporaryDirectory("json-dry")
        let home = temp.sub("home")
        _ = try Fixture.guideHome(at: home)
        let run = try Sindri.run(["backup", "--home", home, "-o", temp.path + "/x.tar.gz", "--dry-run", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "\(stream.badLines)")
        let items = stream.of("item")
        let included = items.filter { $0["action"] as? String == "include" }
        let excluded = items.filter { $0["action"] as? String == "exclude" }
        // README-hardlink.md sorts before README.md, so it carries the content and README.md is the link.
        #expect(included.contains { $0["path"] as? String == "workspace/projects/app/README-hardlink.md" && $0["type"] as? String == "file" && $0["size"] as? Int == 4000 })
        #expect(included.contains { $0["path"] as? String == "workspace/projects/app/README.md" && $0["type"] as? String == "hardlink" })
        #expect(included.contains { $0["path"] as? String == "workspace/projects/app/link-to-readme" && $0["type"] as? String == "symlink" && $0["link_target"] as? String == "README.md" })
        #expect(excluded.contains { ($0["path"] as? String)?.hasSuffix("node_modules") == true && ($0["rule"] as? String)?.contains("node_modules") == true })
        #expect(items.allSatisfy { $0["rule"] is String })
        let summary = try #require(stream.of("summary").last)
        #expect(summary["dry_run"] as? Bool == true)
        #expect(summary["exit_code"] as? Int == 0)
        #expect(summary["archive_bytes"] == nil)
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/x.tar.gz"))
    }

    @Test("warnings are warning messages, and the summary says exit_code 3")
    func warnings() throws {
        let temp = try TemporaryDirectory("json-warn")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        try CLIFiles.skippedFile(home + "/workspace/projects/app/pipe")
        for dryRun in [false, true] {
            let run = try Sindri.run(["backup", "--home", home, "-o", temp.path + "/w.tar.gz", "--json"] + (dryRun ? ["--dry-run"] : []))
            #expect(run.status == 3, "dry run \(dryRun): \(run.stderr)")
            let stream = JSONStream(run.stdout)
            #expect(stream.badLines.isEmpty)
            let warning = try #require(stream.of("warning").first)
            #expect(warning["path"] as? String == "workspace/projects/app/pipe")
            #expect((warning["message"] as? String)?.isEmpty == false)
            #expect(stream.of("summary").last?["exit_code"] as? Int == 3)
            #expect(stream.of("summary").last?["warning_count"] as? Int == 1)
            #expect(stream.of("summary").last?["dry_run"] as? Bool == dryRun)
        }
    }

    @Test("failures end the stream with exit_error carrying the exit status", arguments: [
        (["backup", "--home", "/nonexistent/home", "--json"], Int32(64), false),
        (["backup", "--bogus-option", "--json"], 64, false),
        (["backup", "--compression", "0", "--json"], 64, false),
        (["backup", "--compression", "0", "-o", "-", "--json"], 64, true),
        (["list", "/nonexistent.tar.gz", "--json"], 64, false),
        (["bench", "--home", "/tmp", "--synthetic", "1M", "--json"], 64, false),
    ])
    func exitErrors(arguments: [String], status: Int32, onStandardError: Bool) throws {
        let run = try Sindri.run(arguments)
        #expect(run.status == status, "stderr: \(run.stderr)")
        let stream = JSONStream(onStandardError ? Data(run.stderr.utf8) : run.stdout)
        #expect(stream.badLines.isEmpty, "\(stream.badLines)")
        #expect(stream.types == ["exit_error"], "\(stream.types)")
        let error = try #require(stream.messages.first)
        #expect(error["code"] as? Int == Int(status))
        #expect((error["message"] as? String)?.isEmpty == false)
        if onStandardError { #expect(run.stdout.isEmpty) }
    }

    @Test("a damaged archive: exit_error with code 4")
    func damagedArchive() throws {
        let temp = try TemporaryDirectory("json-damaged")
        try Data("not gzip at all\n".utf8).write(to: URL(fileURLWithPath: temp.path + "/bad.tar.gz"))
        let run = try Sindri.run(["list", temp.path + "/bad.tar.gz", "--json"])
        #expect(run.status == 4)
        let stream = JSONStream(run.stdout)
        #expect(stream.types == ["exit_error"])
        #expect(stream.messages.first?["error_code"] as? String == "archiveCorrupt")
    }
}
