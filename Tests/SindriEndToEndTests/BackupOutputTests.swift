import Foundation
import Testing

/// `-o` as documented: a directory gets an auto-named archive, a file path is used
/// as is, `-` is standard output (never a terminal), and the archive never archives itself.
@Suite("backup output handling (end to end)")
struct BackupOutputTests {
    private func home(_ temp: TemporaryDirectory) throws -> String {
        let home = temp.sub("home")
        let f = try BackupFiles.smallHome(at: home)
        try f.file("sindri.yaml", "name: my-dev\n")
        return home
    }

    @Test("-o DIR/ and -o DIR name the archive sindri-backup-{name}-{timestamp}.tar.gz", arguments: ["/", ""])
    func directoryGetsAutoName(suffix: String) throws {
        let temp = try TemporaryDirectory("outdir")
        let home = try home(temp)
        let out = temp.sub("backups")
        let run = try Sindri.run(["backup", "--home", home, "-o", out + suffix])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let names = BackupFiles.names(in: out)
        try #require(names.count == 2, "\(names)")
        let archive = names[0]
        #expect(archive.wholeMatch(of: /sindri-backup-my-dev-\d{8}-\d{6}\.tar\.gz/) != nil, "\(archive)")
        #expect(names[1] == archive + ".sha256")
        #expect(try gnuTarList(out + "/" + archive).status == 0)
    }

    @Test("-o FILE writes exactly that file and its .sha256")
    func fileIsUsedAsIs() throws {
        let temp = try TemporaryDirectory("outfile")
        let home = try home(temp)
        let out = temp.sub("backups")
        let run = try Sindri.run(["backup", "--home", home, "-o", out + "/my backup.tgz"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(BackupFiles.names(in: out) == ["my backup.tgz", "my backup.tgz.sha256"])
        // A relative path is relative to the working directory.
        let relative = try Sindri.run(["backup", "--home", home, "-o", "rel.tar.gz"], cwd: out)
        #expect(relative.status == 0, "stderr: \(relative.stderr)")
        #expect(BackupFiles.names(in: out).contains("rel.tar.gz"))
    }

    @Test("-o - writes the archive to standard output and nothing else there")
    func standardOutput() throws {
        let temp = try TemporaryDirectory("stdout")
        let home = try home(temp)
        let out = temp.sub("cwd")
        let run = try Sindri.run(["backup", "--home", home, "-o", "-"], cwd: out)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(BackupFiles.names(in: out).isEmpty, "nothing is written to the working directory")
        #expect(run.stdout.prefix(2) == Data([0x1F, 0x8B]))
        #expect(!run.stderr.isEmpty, "the summary goes to standard error")
        let captured = temp.path + "/captured.tar.gz"
        try run.stdout.write(to: URL(fileURLWithPath: captured))
        let list = try gnuTarList(captured)
        #expect(list.status == 0 && list.stderr.isEmpty, "\(list.stderr)")
        #expect(list.names.first == ".backup-manifest.json")
        #expect(list.names.contains("workspace/projects/app/main.swift"))
        let gzip = try Shell.run(["gzip", "-t", captured])
        #expect(gzip.status == 0 && gzip.stderr.isEmpty)

        // A stream cannot go back to fill in the manifest: its figures travel in the trailer's
        // .backup-summary.json, and they are as true as a file archive's.
        let report = try ArchiveReport.inspect(captured)
        #expect(report.lengthProblems.isEmpty, "\(report.lengthProblems)")
        #expect(list.names.last == ".backup-summary.json")
        let summaryJSON = try Shell.run(["tar", "-xzOf", captured, ".backup-summary.json"]).stdout
        let summary = try #require(try JSONSerialization.jsonObject(with: summaryJSON) as? [String: Any])
        let statistics = try #require(summary["statistics"] as? [String: Any])
        #expect(summary["data_checksum"] as? String == report.dataChecksum)
        #expect(statistics["files_included"] as? Int == report.regularFiles)
        #expect((statistics["total_size_bytes"] as? NSNumber)?.uint64Value == report.regularBytes)
    }

    @Test("-o - refuses a terminal: one error line, non-zero exit", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func standardOutputTerminalIsRefused() throws {
        let temp = try TemporaryDirectory("tty")
        let home = try home(temp)
        let command = "'\(Sindri.binary)' backup --home '\(home)' -o -"
        let run = try Shell.run(["script", "-qec", command, "/dev/null"], cwd: temp.path)
        #expect(run.status != 0)
        let lines = BackupFiles.lines(run.stdoutText.replacingOccurrences(of: "\r", with: ""))
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("terminal") == true, "\(lines)")
        #expect(!run.stdout.contains(0x8B), "no archive bytes reach the terminal")
    }

    @Test("an archive written inside the home, its sidecar and an older one at that path are never archived; nor is .sindri/")
    func outputInsideHomeIsNotArchived() throws {
        let temp = try TemporaryDirectory("inside")
        let home = try home(temp)
        try Fixture(root: home).file(".sindri/restore-snapshots/snap.tar.gz", "state\n")
        let archive = home + "/workspace/projects/backup.tar.gz"
        let first = try Sindri.run(["backup", "--home", home, "-o", archive, "-p", "full"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        // Again, with the first archive and its sidecar now at the output path.
        let second = try Sindri.run(["backup", "--home", home, "-o", archive, "-p", "full"])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let members = try BackupFiles.dataMembers(archive)
        #expect(!members.contains { $0.contains("backup.tar.gz") }, "\(members.sorted())")
        #expect(!members.contains { $0.contains("sindri-tmp") }, "\(members.sorted())")
        #expect(!members.contains { $0.hasPrefix(".sindri") }, "\(members.sorted())")
        #expect(members.contains("workspace/projects/app/main.swift"))
        #expect(members.contains("sindri.yaml"))

        // Not even when asked: .sindri/ is the tool's state.
        let asked = try Sindri.run(["backup", "--home", home, "-o", temp.path + "/b.tar.gz", "-p", "full", "--exclude", "!.sindri/"])
        #expect(asked.status == 0)
        #expect(!(try BackupFiles.dataMembers(temp.path + "/b.tar.gz")).contains { $0.hasPrefix(".sindri") })
    }
}
