import Foundation
import Testing

/// `--json` on `restore`, `verify` and `rollback`: JSON Lines on stdout and nothing else there,
/// items per planned path, warnings for conflicts, a summary, `exit_error` with the exit status.
@Suite("restore/verify/rollback --json (end to end)")
struct CLIRestoreJSONTests {
    static func realArchive(_ box: RestoreSandbox) throws -> String {
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        return try box.backup(of: source)
    }

    @Test("restore --dry-run --json: every line JSON, an item per planned path, a conflict warning, a dry-run summary")
    func restoreDryRun() throws {
        let box = try RestoreSandbox("json-restore-dry")
        let archive = try Self.realArchive(box)
        try Fixture(root: box.home).file(".gitconfig", "[user]\n\tname = Local\n")
        let before = try box.homeSnapshot()
        let run = try box.restore(archive, ["--dry-run", "--json"])
        #expect(run.status == 3, "a conflict: completed with warnings; stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "not JSON: \(stream.badLines)")
        #expect(!stream.messages.isEmpty)
        #expect(stream.types.last == "summary", "\(stream.types)")
        #expect(Set(stream.types).isSubset(of: ["status", "item", "warning", "summary"]), "\(stream.types)")
        #expect(run.stderr.isEmpty, "text leaked onto stderr: \(run.stderr)")

        let items = stream.of("item")
        #expect(items.contains { $0["path"] as? String == "workspace/projects/app/main.swift" && $0["action"] as? String == "create" },
                "\(items)")
        #expect(items.contains { $0["path"] as? String == ".gitconfig" && $0["action"] as? String == "skip: exists" }, "\(items)")
        let warnings = stream.of("warning")
        #expect(warnings.contains { $0["path"] as? String == ".gitconfig" && ($0["message"] as? String ?? "").contains("conflict") },
                "\(warnings)")

        let summary = try #require(stream.of("summary").last)
        #expect(summary["command"] as? String == "restore")
        #expect(summary["dry_run"] as? Bool == true)
        #expect(summary["exit_code"] as? Int == 3)
        #expect(summary["archive_path"] as? String == archive)
        #expect(summary["duration_seconds"] is Double || summary["duration_seconds"] is Int)
        let details = try #require(summary["details"] as? [String: Any])
        #expect(details["planned"] as? Int == items.count)
        #expect(details["conflicts"] as? Int == 1)
        #expect(details["snapshot_path"] == nil, "a dry run makes no snapshot")
        #expect(try box.homeSnapshot() == before, "a dry run changed the home")
    }

    @Test("restore --json summary: files counts regular files only, warning_count matches the warning events, action keys are plain words")
    func restoreSummaryCounts() throws {
        let box = try RestoreSandbox("json-restore-counts")
        let archive = try Self.realArchive(box)
        try Fixture(root: box.home).file(".gitconfig", "[user]\n\tname = Local\n")
        let run = try box.restore(archive, ["--json", "--no-interactive"])
        #expect(run.status == 3, "a conflict: completed with warnings; stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        let summary = try #require(stream.of("summary").last)
        // The regular files of the archive, less our own members and the one conflict
        // (.gitconfig, left as it is): what `files` must count.
        let listing = try Shell.run(["tar", "-tvzf", archive])
        let regularNames = Set(listing.stdoutText.split(separator: "\n").filter { $0.hasPrefix("-") }
            .compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) }
            .filter { !$0.hasPrefix(".backup-") && $0 != ".sindri/backup-index.jsonl" })
        #expect(regularNames.contains(".gitconfig") && regularNames.count > 2, "\(regularNames)")
        #expect(summary["files"] as? Int == regularNames.count - 1, "files \(summary["files"] ?? "nil") vs \(regularNames.count - 1) regular files written")
        let details = try #require(summary["details"] as? [String: Any])
        #expect((details["restored"] as? Int ?? 0) > regularNames.count - 1, "restored counts directories too")
        #expect(summary["warning_count"] as? Int == stream.of("warning").count, "warning_count vs \(stream.of("warning").count) warning events")
        let actions = try #require(details["actions"] as? [String: Any])
        #expect(actions.keys.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "_" } }, "\(actions.keys.sorted())")
        #expect(actions["skip_exists"] as? Int == 1, "\(actions)")
    }

    @Test("restore --dry-run without --json still prints ACTION<TAB>PATH on stdout and the conflict on stderr")
    func restoreDryRunText() throws {
        let box = try RestoreSandbox("json-restore-text")
        let archive = try Self.realArchive(box)
        try Fixture(root: box.home).file(".gitconfig", "[user]\n\tname = Local\n")
        let run = try box.restore(archive, ["--dry-run"])
        #expect(run.status == 3, "a conflict: completed with warnings; stderr: \(run.stderr)")
        let lines = run.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.contains("create\tworkspace/projects/app/main.swift"), "\(lines)")
        #expect(lines.contains("skip: exists\t.gitconfig"), "\(lines)")
        #expect(!run.stdoutText.contains("{"), "JSON in text mode")
        #expect(run.stderr.contains("sindri: conflict: .gitconfig"), "\(run.stderr)")
        #expect(run.stderr.contains("Dry run:"), "\(run.stderr)")
    }

    @Test("restore --json: the summary names the pre-restore snapshot; rollback --list --json lists it")
    func restoreThenRollbackList() throws {
        let box = try RestoreSandbox("json-restore-real")
        let archive = try Self.realArchive(box)
        try Fixture(root: box.home).file(".gitconfig", "[user]\n\tname = Local\n")
        let run = try box.restore(archive, mode: "full", ["--json", "-v"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "not JSON: \(stream.badLines)")
        #expect(!stream.of("item").isEmpty, "-v gives items")
        let summary = try #require(stream.of("summary").last)
        #expect(summary["dry_run"] as? Bool == false)
        #expect((summary["files"] as? Int ?? 0) > 0)
        let details = try #require(summary["details"] as? [String: Any])
        let snapshotPath = details["snapshot_path"] as? String
        #expect(snapshotPath?.hasPrefix(box.home + "/") == true, "\(details)")

        let list = try Sindri.run(["rollback", "--home", box.home, "--list", "--json"], environment: ["HOME": box.envHome])
        #expect(list.status == 0, "stderr: \(list.stderr)")
        let listed = JSONStream(list.stdout)
        #expect(listed.badLines.isEmpty, "not JSON: \(listed.badLines)")
        #expect(listed.types.last == "summary", "\(listed.types)")
        let items = listed.of("item")
        #expect(items.count == 1, "\(items)")
        #expect(items.first?["action"] as? String == "snapshot")
        if let path = items.first?["path"] as? String, let snapshotPath {
            #expect(snapshotPath.hasSuffix(path), "\(path) vs \(snapshotPath)")
        }
        let listSummary = try #require(listed.of("summary").last)
        #expect(listSummary["command"] as? String == "rollback")
        #expect(((listSummary["details"] as? [String: Any])?["snapshots"] as? [Any])?.count == 1)

        let undo = try Sindri.run(["rollback", "--home", box.home, "--no-interactive", "--json"], environment: ["HOME": box.envHome])
        #expect(undo.status == 0, "stderr: \(undo.stderr)")
        let undone = JSONStream(undo.stdout)
        #expect(undone.badLines.isEmpty, "not JSON: \(undone.badLines)")
        let undoSummary = try #require(undone.of("summary").last)
        #expect(((undoSummary["details"] as? [String: Any])?["message"] as? String)?.isEmpty == false, "\(undoSummary)")
        #expect(box.read(".gitconfig") == "[user]\n\tname = Local\n", "rollback restores the local file")
    }

    @Test("rollback --list --json on a home without snapshots: just a summary")
    func rollbackListEmpty() throws {
        let box = try RestoreSandbox("json-rollback-empty")
        try Fixture(root: box.home).file("file", "x\n")
        let run = try Sindri.run(["rollback", "--home", box.home, "--list", "--json"], environment: ["HOME": box.envHome])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "not JSON: \(stream.badLines)")
        #expect(stream.types == ["summary"], "\(stream.types)")
        #expect(run.stderr.isEmpty, "\(run.stderr)")
    }

    @Test("verify --json on a good archive: status and a summary with the report, exit 0")
    func verifyGood() throws {
        let box = try RestoreSandbox("json-verify-good")
        let archive = try Self.realArchive(box)
        let run = try box.verify(archive, ["--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "not JSON: \(stream.badLines)")
        #expect(stream.types.last == "summary", "\(stream.types)")
        #expect(!stream.of("status").isEmpty, "\(stream.types)")
        #expect(run.stderr.isEmpty, "text leaked onto stderr: \(run.stderr)")
        let status = try #require(stream.of("status").last)
        #expect(status["command"] as? String == "verify")
        #expect(status["percent_done"] as? Double == 1 || status["percent_done"] as? Int == 1)
        let summary = try #require(stream.of("summary").last)
        #expect(summary["command"] as? String == "verify")
        #expect(summary["exit_code"] as? Int == 0)
        #expect((summary["members"] as? Int ?? 0) > 0)
        #expect((summary["files"] as? Int ?? 0) > 0)
        #expect((summary["total_bytes"] as? Int ?? 0) >= 64 * 1024)
        #expect(summary["archive_bytes"] as? Int == Int(CLIFiles.size(archive)))
        let details = try #require(summary["details"] as? [String: Any])
        #expect(details["checksums_checked"] as? Int == summary["files"] as? Int)
        #expect(details["archive_checksum_verified"] as? Bool == true)
    }

    @Test("verify --json on a damaged archive: exit_error with code 4, exit 4", arguments: [
        ArchiveDamage.flippedContentByte, .truncatedInTheMiddle,
    ])
    func verifyDamaged(damage: ArchiveDamage) throws {
        let box = try RestoreSandbox("json-verify-damaged")
        let archive = try Self.realArchive(box)
        let damaged = box.file("damaged.tar.gz")
        try damage.make(from: archive, at: damaged)
        let run = try box.verify(damaged, ["--json"])
        #expect(run.status == 4, "\(damage): status \(run.status), stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "not JSON: \(stream.badLines)")
        #expect(stream.types.last == "exit_error", "\(stream.types)")
        #expect(stream.of("summary").isEmpty)
        let failure = try #require(stream.of("exit_error").last)
        #expect(failure["code"] as? Int == 4)
        #expect(!(failure["message"] as? String ?? "").isEmpty)
        #expect(run.stderr.isEmpty, "text leaked onto stderr: \(run.stderr)")
    }

    @Test("restore --json of a missing archive: exit_error with the usage status")
    func restoreMissingArchive() throws {
        let box = try RestoreSandbox("json-restore-missing")
        let run = try box.restore(box.file("nope.tar.gz"), ["--json"])
        #expect(run.status == 64, "status \(run.status), stderr: \(run.stderr)")
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "not JSON: \(stream.badLines)")
        #expect(stream.types == ["exit_error"], "\(stream.types)")
        #expect(stream.of("exit_error").first?["code"] as? Int == 64)
    }
}
