import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Never lose anything: a backup that dies (SIGKILL) or is interrupted (SIGINT) half-way leaves
/// the archive already at the output path exactly as it was, and no partial archive there.
@Suite("backup interrupted (end to end)")
struct BackupInterruptionTests {
    /// A home with ~200 MB of incompressible files, so the backup is still writing when stopped.
    private func bigHome(_ temp: TemporaryDirectory) throws -> String {
        let home = temp.sub("home")
        let made = try Shell.python("""
            import os, sys
            chunk = os.urandom(1 << 20)
            for i in range(200):
                d = os.path.join(sys.argv[1], 'workspace', 'projects', 'gen', 'd%02d' % (i % 10))
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, 'f%03d.bin' % i), 'wb') as f:
                    f.write(chunk[i * 4099:] + chunk[:i * 4099])
            """, [home])
        try #require(made.status == 0, "\(made.stderr)")
        return home
    }

    /// An older, valid archive (and its sidecar) at `out/backup.tar.gz`; returns its bytes.
    private func olderArchive(_ temp: TemporaryDirectory, _ out: String) throws -> (Data, Data) {
        let small = temp.sub("small-home")
        try BackupFiles.smallHome(at: small)
        #expect(try Sindri.run(["backup", "--home", small, "-o", out + "/backup.tar.gz"]).status == 0)
        return (try #require(BackupFiles.bytes(out + "/backup.tar.gz")), try #require(BackupFiles.bytes(out + "/backup.tar.gz.sha256")))
    }

    /// Starts a backup of `home` over `out/backup.tar.gz` and waits until it is writing data.
    private func startWriting(_ home: String, _ out: String, _ temp: TemporaryDirectory) throws -> Process {
        let process = try BackupRun.start(["backup", "--home", home, "-o", out + "/backup.tar.gz", "--compression", "6"], logDirectory: temp.sub("logs"))
        let started = Date()
        try BackupRun.wait(for: "the temporary archive to grow") {
            BackupFiles.names(in: out).contains { name in
                guard name.hasPrefix(".backup.tar.gz.sindri-tmp-") else { return false }
                let size = (try? FileManager.default.attributesOfItem(atPath: out + "/" + name)[.size] as? UInt64) ?? 0
                return size > 0
            } || !process.isRunning
        }
        // At least ~0.3 s into the run, as a user pressing Ctrl-C would be.
        let elapsed = Date().timeIntervalSince(started)
        if elapsed < 0.3 { usleep(UInt32((0.3 - elapsed) * 1_000_000)) }
        try #require(process.isRunning, "the backup finished before it could be stopped")
        return process
    }

    @Test("SIGKILL half-way: the older archive is byte-for-byte intact and nothing partial is at the output path")
    func killedBackupLosesNothing() throws {
        let temp = try TemporaryDirectory("kill")
        let home = try bigHome(temp)
        let out = temp.sub("out")
        let (old, oldSidecar) = try olderArchive(temp, out)

        let process = try startWriting(home, out, temp)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(BackupFiles.bytes(out + "/backup.tar.gz") == old, "the older archive changed")
        #expect(BackupFiles.bytes(out + "/backup.tar.gz.sha256") == oldSidecar)
        // A killed process cannot clean up: its temporary file may remain, but only under its own name.
        let leftovers = BackupFiles.names(in: out).filter { $0 != "backup.tar.gz" && $0 != "backup.tar.gz.sha256" }
        #expect(leftovers.allSatisfy { $0.hasPrefix(".backup.tar.gz.sindri-tmp-") }, "\(leftovers)")
        #expect(try Shell.run(["sha256sum", "-c", "backup.tar.gz.sha256"], cwd: out).status == 0)
    }

    @Test("SIGINT half-way: exit 130, the temporary file removed, the older archive intact")
    func interruptedBackupCleansUp() throws {
        let temp = try TemporaryDirectory("sigint")
        let home = try bigHome(temp)
        let out = temp.sub("out")
        let (old, oldSidecar) = try olderArchive(temp, out)

        let process = try startWriting(home, out, temp)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130)
        let stderr = (try? String(contentsOfFile: temp.path + "/logs/stderr", encoding: .utf8)) ?? ""
        #expect(stderr.contains("interrupted"), "\(stderr)")

        #expect(BackupFiles.names(in: out) == ["backup.tar.gz", "backup.tar.gz.sha256"])
        #expect(BackupFiles.bytes(out + "/backup.tar.gz") == old, "the older archive changed")
        #expect(BackupFiles.bytes(out + "/backup.tar.gz.sha256") == oldSidecar)
    }
}
