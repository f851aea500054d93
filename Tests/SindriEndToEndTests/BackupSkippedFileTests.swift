import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What cannot be archived is skipped, named in a warning, and the backup still completes: exit
/// status 3 (completed with warnings) with a valid archive of everything else. Sockets are the
/// exception: noted, not warned about (their programs recreate them), and FIFOs are archived.
@Suite("backup of files it must skip (end to end)")
struct BackupSkippedFileTests {
    @Test("device nodes are skipped with a warning (exit 3); sockets are noted without one; FIFOs are archived")
    func specialFiles() throws {
        let temp = try TemporaryDirectory("special")
        let home = temp.sub("home")
        try BackupFiles.smallHome(at: home)
        let projects = home + "/workspace/projects"
        let made = try Shell.python("""
            import os, socket, sys
            p = sys.argv[1]
            s = socket.socket(socket.AF_UNIX)
            s.bind(p + '/agent.sock')
            os.mkfifo(p + '/queue.fifo')
            """, [projects])
        try #require(made.status == 0, "\(made.stderr)")
        var skipped: [String] = []
        // Device nodes need root (and a container that allows mknod); without, that part is skipped.
        if BackupRun.isRoot, try Shell.run(["mknod", projects + "/null-device", "c", "1", "3"]).status == 0 {
            skipped.append("workspace/projects/null-device")
        }

        let archive = temp.path + "/out.tar.gz"
        let run = try Sindri.run(["backup", "--home", home, "-o", archive])
        #expect(run.status == (skipped.isEmpty ? 0 : 3), "stderr: \(run.stderr)")
        let warnings = BackupFiles.lines(run.stderr).filter { $0.contains("warning") }
        for path in skipped {
            #expect(warnings.contains { $0.contains(path) }, "no warning names \(path): \(run.stderr)")
        }
        #expect(!warnings.contains { $0.contains("agent.sock") }, "a socket is not a warning: \(run.stderr)")
        #expect(run.stderr.contains("socket") && run.stderr.contains("workspace/projects/agent.sock"), "\(run.stderr)")

        let members = try BackupFiles.dataMembers(archive)
        #expect(members.isDisjoint(with: skipped + ["workspace/projects/agent.sock"]))
        #expect(members.contains("workspace/projects/queue.fifo"))
        #expect(members.contains("workspace/projects/app/main.swift"))
        let listing = try Shell.run(["tar", "-tvzf", archive])
        #expect(listing.stdoutText.split(separator: "\n").contains { $0.hasPrefix("p") && $0.hasSuffix("workspace/projects/queue.fifo") })
        let gzip = try Shell.run(["gzip", "-t", archive])
        #expect(gzip.status == 0 && gzip.stderr.isEmpty)
        let untar = try Shell.run(["tar", "-xzf", archive, "-C", temp.sub("x")])
        #expect(untar.status == 0 && untar.stderr.isEmpty, "\(untar.stderr)")
        #expect(try Shell.run(["test", "-p", temp.path + "/x/workspace/projects/queue.fifo"]).status == 0)

        // Our own archive restores, FIFO included, with its mode.
        let restored = temp.sub("restored")
        let restore = try Sindri.run(["restore", archive, "--home", restored, "--no-interactive"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try Shell.run(["test", "-p", restored + "/workspace/projects/queue.fifo"]).status == 0)
        let verify = try Sindri.run(["verify", archive])
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    /// Root reads everything, so the unreadable case runs as uid 65534 through `setpriv`, on a
    /// home that user owns.
    @Test("an unreadable file and an unreadable directory are skipped with a warning naming each; exit 3",
          .enabled(if: BackupRun.canRunUnprivileged, "needs a non-root user or setpriv"))
    func unreadableFileAndDirectory() throws {
        let temp = try TemporaryDirectory("unreadable")
        chmod(temp.path, 0o755)
        let home = temp.sub("home")
        let f = try BackupFiles.smallHome(at: home)
        try f.file("workspace/projects/app/secret.key", "no peeking\n", mode: 0o000)
        try f.file("workspace/projects/locked/inside.txt", "hidden\n")
        try f.file("workspace/projects/open/after.txt", "still archived\n")
        chmod(home + "/workspace/projects/locked", 0o000)
        let out = temp.sub("out")
        try BackupRun.giveToUnprivileged(home, out)

        let archive = out + "/out.tar.gz"
        let run = try BackupRun.runUnprivileged(["backup", "--home", home, "-o", archive])
        #expect(run.status == 3, "stderr: \(run.stderr)")
        let warnings = BackupFiles.lines(run.stderr).filter { $0.contains("warning") }
        #expect(warnings.contains { $0.contains("workspace/projects/app/secret.key") }, "\(run.stderr)")
        #expect(warnings.contains { $0.contains("workspace/projects/locked") }, "\(run.stderr)")

        let members = try BackupFiles.dataMembers(archive)
        #expect(!members.contains("workspace/projects/app/secret.key"))
        #expect(!members.contains { $0.hasPrefix("workspace/projects/locked") }, "an unreadable directory is not archived, even empty")
        #expect(members.isSuperset(of: [
            "workspace/projects/app/main.swift", "workspace/projects/app/README.md",
            "workspace/projects/open/after.txt", "workspace/config/settings.toml", ".gitconfig",
        ]))
        let report = try ArchiveReport.inspect(archive)
        #expect(report.manifest.statistics.filesIncluded == report.regularFiles)
        #expect(report.manifest.checksum.value == report.dataChecksum)
    }
}
