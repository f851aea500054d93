import Foundation
import Testing

/// Backing up from inside the home never puts earlier backups into the next one: our archives
/// are recognized by name (`sindri-backup-*.tar.gz` and its `.sha256`) and, renamed, by their
/// first member (the stored manifest), and `--dry-run -v` names each one.
@Suite("backup of a home that holds earlier sindri archives (end to end)")
struct BackupOwnArchiveTests {
    @Test("earlier archives, renamed copies and sidecars are left out with a line each; other .tar.gz files stay")
    func earlierArchivesLeftOut() throws {
        let temp = try TemporaryDirectory("own-archives")
        let home = temp.sub("home")
        let fixture = try CLIFiles.smallHome(at: home)
        // A first backup into the home itself, with an automatic name, and a renamed copy of it.
        let first = try Sindri.run(["backup", "-p", "full", "--home", home, "-o", home + "/"])
        try #require(first.status == 0, "\(first.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: home)
        let automatic = try #require(names.first { $0.hasPrefix("sindri-backup-") && $0.hasSuffix(".tar.gz") })
        try FileManager.default.createDirectory(atPath: home + "/workspace/old", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: home + "/" + automatic, toPath: home + "/workspace/old/renamed.tgz")
        try FileManager.default.copyItem(atPath: home + "/" + automatic + ".sha256", toPath: home + "/workspace/old/renamed.tgz.sha256")
        // A .tar.gz made by GNU tar is user data.
        try fixture.file("workspace/old/data/x.txt", "x\n")
        let tarred = try Shell.run(["tar", "-czf", home + "/workspace/old/other.tar.gz", "-C", home + "/workspace/old", "data"])
        try #require(tarred.status == 0)

        let dry = try Sindri.run(["backup", "-p", "full", "--home", home, "-o", temp.path + "/next.tar.gz", "--dry-run", "-v"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let lines = dry.stdoutText.split(separator: "\n").map(String.init) + dry.stderr.split(separator: "\n").map(String.init)
        for excluded in [automatic, automatic + ".sha256", "workspace/old/renamed.tgz", "workspace/old/renamed.tgz.sha256"] {
            #expect(lines.contains { $0.hasPrefix("- \(excluded)\t") && $0.contains("earlier sindri archive") }, "no line for \(excluded): \(lines)")
        }
        #expect(lines.contains { $0.hasPrefix("+ workspace/old/other.tar.gz") }, "\(lines)")

        let archive = temp.path + "/next.tar.gz"
        let run = try Sindri.run(["backup", "-p", "full", "--home", home, "-o", archive, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let members = try BackupFiles.dataMembers(archive)
        #expect(!members.contains { $0.contains("sindri-backup-") || $0.contains("renamed.tgz") }, "\(members)")
        #expect(members.contains("workspace/old/other.tar.gz"))
        let summary = try #require(JSONStream(run.stdout).of("summary").last)
        let details = try #require(summary["details"] as? [String: Any])
        #expect((details["archives_skipped"] as? [String])?.count == 4, "\(details)")
    }
}
