import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A backup never replaces or mixes files it did not name: automatic names take a numbered
/// suffix instead of replacing (even when two backups finish in the same second), temporary
/// files of killed backups are cleaned up, the `.sha256` beside an archive always belongs to it,
/// and an empty `-o` is refused before any work.
@Suite("backup output names, temporary files and sidecars (end to end)")
struct BackupOutputNamingTests {
    /// Archives (`.tar.gz`) and sidecars in `directory`, sorted.
    private func listing(_ directory: String) throws -> (archives: [String], sidecars: [String], hidden: [String]) {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        return (names.filter { $0.hasSuffix(".tar.gz") }, names.filter { $0.hasSuffix(".sha256") }, names.filter { $0.hasPrefix(".") })
    }

    /// The automatic name sindri gives a backup of an instance named `name` at `date`.
    private func automaticName(_ name: String, _ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "sindri-backup-\(name)-\(formatter.string(from: date)).tar.gz"
    }

    @Test("four backups started together into one directory each keep their own archive and sidecar")
    func concurrentAutomaticNames() throws {
        let temp = try TemporaryDirectory("names-race")
        let out = temp.sub("out")
        var homes: [String] = []
        for index in 0..<4 {
            let home = temp.sub("home\(index)")
            let fixture = try CLIFiles.smallHome(at: home)
            try fixture.file("sindri.yaml", "name: twin\nprovider: docker\n")
            try fixture.file("workspace/projects/which.txt", "home \(index)\n")
            homes.append(home)
        }
        nonisolated(unsafe) var results = [ProcessOutput?](repeating: nil, count: homes.count)
        let lock = NSLock()
        let started = homes
        DispatchQueue.concurrentPerform(iterations: started.count) { index in
            let run = try? Sindri.run(["backup", "--home", started[index], "-o", out + "/"])
            lock.lock()
            results[index] = run
            lock.unlock()
        }
        for run in results { #expect(run?.status == 0, "\(run?.stderr ?? "did not run")") }
        let (archives, sidecars, hidden) = try listing(out)
        #expect(archives.count == 4, "\(archives)")
        #expect(sidecars.count == 4, "\(sidecars)")
        #expect(hidden.isEmpty, "temporary files left: \(hidden)")
        // Each sidecar names its own archive and matches it; each home is in exactly one archive.
        let check = try Shell.run(["sha256sum", "-c"] + sidecars, cwd: out)
        #expect(check.status == 0, "\(check.stdoutText)\(check.stderr)")
        var seen = Set<String>()
        for archive in archives {
            let content = try Shell.run(["tar", "-xzOf", out + "/" + archive, "workspace/projects/which.txt"])
            seen.insert(content.stdoutText)
        }
        #expect(seen == Set((0..<4).map { "home \($0)\n" }))
    }

    @Test("an automatic name that exists gets a numbered suffix; the existing archive is untouched")
    func existingAutomaticNameGetsSuffix() throws {
        let temp = try TemporaryDirectory("names-suffix")
        let out = temp.sub("out")
        let home = temp.sub("home")
        let fixture = try CLIFiles.smallHome(at: home)
        try fixture.file("sindri.yaml", "name: taken\n")
        // Occupy the names of the next minute, as an earlier backup in the same second would.
        let now = Date()
        var occupied: [String] = []
        for second in -1..<60 {
            let name = automaticName("taken", now.addingTimeInterval(TimeInterval(second)))
            try Data("an earlier backup\n".utf8).write(to: URL(fileURLWithPath: out + "/" + name))
            occupied.append(name)
        }
        let run = try Sindri.run(["backup", "--home", home, "-o", out])
        #expect(run.status == 0, "\(run.stderr)")
        for name in occupied {
            #expect(try String(contentsOfFile: out + "/" + name, encoding: .utf8) == "an earlier backup\n")
        }
        let (archives, sidecars, _) = try listing(out)
        let created = archives.filter { !occupied.contains($0) }
        #expect(created.count == 1)
        #expect(created.first?.hasSuffix("-2.tar.gz") == true, "\(created)")
        #expect(sidecars == created.map { $0 + ".sha256" })
        #expect(run.stdoutText.contains(created.first ?? "?") || run.stderr.contains(created.first ?? "?"))
        let check = try Shell.run(["sha256sum", "-c", created[0] + ".sha256"], cwd: out)
        #expect(check.status == 0, "\(check.stdoutText)")
    }

    @Test("an explicit -o FILE that exists is replaced, with a sidecar that matches the new archive")
    func explicitFileIsReplaced() throws {
        let temp = try TemporaryDirectory("names-explicit")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        let archive = temp.path + "/b.tar.gz"
        try Data("old".utf8).write(to: URL(fileURLWithPath: archive))
        try Data("0000  b.tar.gz\n".utf8).write(to: URL(fileURLWithPath: archive + ".sha256"))
        let run = try Sindri.run(["backup", "--home", home, "-o", archive])
        #expect(run.status == 0, "\(run.stderr)")
        let check = try Shell.run(["sha256sum", "-c", "b.tar.gz.sha256"], cwd: temp.path)
        #expect(check.status == 0, "\(check.stdoutText)")
    }

    @Test("a backup killed at any point never leaves a sidecar that does not match the archive beside it")
    func killedBackupLeavesNoWrongSidecar() throws {
        let temp = try TemporaryDirectory("names-kill")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        try Fixture(root: home).data("workspace/blob.bin", CLIFiles.randomData(3 << 20))
        let archive = temp.path + "/b.tar.gz"
        let first = try Sindri.run(["backup", "--home", home, "-o", archive])
        try #require(first.status == 0, "\(first.stderr)")
        for trial in 0..<8 {
            try Fixture(root: home).file("workspace/trial.txt", "trial \(trial)\n")
            // Kill at staggered points of the run, the last ones near its end (rename, sidecar).
            let delay = 0.05 + Double(trial) * 0.04
            let script = "\(Sindri.binary) backup --home \(home) -o \(archive) >/dev/null 2>&1 & pid=$!; sleep \(delay); kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; true"
            try Shell.bash(script)
            if FileManager.default.fileExists(atPath: archive + ".sha256") {
                let check = try Shell.run(["sha256sum", "-c", "b.tar.gz.sha256"], cwd: temp.path)
                #expect(check.status == 0, "trial \(trial): \(check.stdoutText)\(check.stderr)")
            }
        }
    }

    @Test("stale temporary files of dead backups are removed and reported; others are left alone")
    func staleTemporaryFilesRemoved() throws {
        let temp = try TemporaryDirectory("names-stale")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        let out = temp.sub("out")
        // A pid that is certainly dead: a child that already exited and was reaped.
        let dead = try Shell.bash("sh -c 'echo $$'").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let live = String(getpid())
        let old = Int(Date().timeIntervalSince1970) - 600
        let stale = [".sindri-backup-x-20260101-000000.tar.gz.sindri-tmp-\(dead)-1a2b3c", ".b.tar.gz.sha256.sindri-tmp-\(dead)"]
        let kept = [
            ".sindri-backup-y.tar.gz.sindri-tmp-\(live)-abc",        // its process is alive
            ".notes.txt.sindri-tmp-\(dead)-xyz",                      // not our name pattern (not hex)
            "sindri-tmp-\(dead)",                                     // not hidden: not ours
        ]
        for name in stale + kept {
            let path = out + "/" + name
            try Data("partial".utf8).write(to: URL(fileURLWithPath: path))
            Fixture(root: out).setTime(path, old)
        }
        // A dead process's file written just now may be another machine's backup in progress.
        let fresh = ".c.tar.gz.sindri-tmp-\(dead)-ff"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: out + "/" + fresh))

        let run = try Sindri.run(["backup", "--home", home, "-o", out + "/"])
        #expect(run.status == 0, "\(run.stderr)")
        for name in stale {
            #expect(!FileManager.default.fileExists(atPath: out + "/" + name), "\(name) was not removed")
            #expect(run.stderr.contains(name), "removal of \(name) not reported: \(run.stderr)")
        }
        for name in kept + [fresh] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name) was removed")
        }
    }

    @Test("-o with an empty path is a usage error before any work")
    func emptyOutputIsUsageError() throws {
        let temp = try TemporaryDirectory("names-empty")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        let run = try Sindri.run(["backup", "--home", home, "-o", ""], cwd: temp.path)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--output"))
        let (archives, _, hidden) = try listing(temp.path)
        #expect(archives.isEmpty && hidden.isEmpty)
    }
}
