import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A restore that fails before its transaction can be rolled back (no room for the journal's
/// first record, no inode for the staging area) leaves nothing behind: no empty journal, no
/// snapshot, no `txn-*` or empty `restore-snapshots/` directory, no `.sindri` it created.
@Suite("restore leaves nothing behind when refused (end to end, root only)")
struct RestoreLeftoverTests {
    /// A small archive of two files, outside the filesystem under test.
    static func archive(_ temp: TemporaryDirectory) throws -> String {
        let source = temp.sub("source")
        try Fixture(root: source).file("file.txt", "from the backup\n")
        try Fixture(root: source).file("dir/new.txt", "new\n")
        let archive = temp.path + "/b.tar.gz"
        let result = try Sindri.run(["backup", "--home", source, "-o", archive, "-p", "full"], cwd: temp.path)
        guard result.status == 0 else { throw RestoreTestError.backupFailed(result.stderr) }
        return archive
    }

    @Test("no room for the journal's first record: no journal, no snapshot, no .sindri left",
          .enabled(if: TmpfsMount.isAvailable, "needs root to mount a tmpfs"))
    func journalBeginOutOfSpace() throws {
        let temp = try TemporaryDirectory("leftover-journal")
        let archive = try Self.archive(temp)
        let fifo = temp.path + "/pause.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let mount = temp.sub("mnt")
        guard try TmpfsMount.mount(mount, size: "4m") else { return }
        defer { TmpfsMount.unmount(mount) }
        let home = mount + "/home"
        try Fixture(root: home).file("file.txt", "the user's version\n")
        let before = try HomeSnapshot.take(home)
        // Once the snapshot is written, fill the filesystem so the journal's first write fails.
        let filler = Process()
        filler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        filler.arguments = ["timeout", "60", "bash", "-c",
                            "read -r line < \"$FIFO\"; dd if=/dev/zero of=\"$MNT/filler\" bs=4k 2>/dev/null; : > \"$FIFO\""]
        filler.environment = ["FIFO": fifo, "MNT": mount, "PATH": "/usr/bin:/bin"]
        try filler.run()
        let result = try Sindri.run(["restore", archive, "--home", home, "--no-interactive", "--mode", "full", "--force"],
                                    environment: ["SINDRI_TEST_PAUSE": "snapshotted:\(fifo)"], cwd: temp.path)
        if filler.isRunning { filler.terminate() }
        filler.waitUntilExit()
        #expect(result.status != 0, "the restore cannot have succeeded without room: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home + "/.sindri"),
                "left behind: \((try? FileManager.default.subpathsOfDirectory(atPath: home + "/.sindri")) ?? [])")
        let after = try HomeSnapshot.take(home)
        #expect(after == before, "\(after.differences(from: before))")
        #expect(result.stderr.contains("space"), "\(result.stderr)")
    }

    @Test("out of inodes at any point of a restore: the home is as it was, nothing of the run is left",
          .enabled(if: TmpfsMount.isAvailable, "needs root to mount a tmpfs"))
    func outOfInodesAnywhere() throws {
        let temp = try TemporaryDirectory("leftover-inodes")
        let archive = try Self.archive(temp)
        var succeeded = false
        for inodes in 3..<40 {
            let mount = temp.sub("mnt-\(inodes)")
            guard try TmpfsMount.mount(mount, size: "4m,nr_inodes=\(inodes)") else { return }
            defer { TmpfsMount.unmount(mount) }
            let home = mount + "/home"
            guard (try? Fixture(root: home).file("file.txt", "the user's version\n")) != nil else { continue }
            let before = try HomeSnapshot.take(home)
            let result = try Sindri.run(["restore", archive, "--home", home, "--no-interactive", "--mode", "full", "--force"], cwd: temp.path)
            if result.status == 0 { succeeded = true; break }
            #expect(!FileManager.default.fileExists(atPath: home + "/.sindri"),
                    "\(inodes) inodes: left behind \((try? FileManager.default.subpathsOfDirectory(atPath: home + "/.sindri")) ?? []); \(result.stderr)")
            let after = try HomeSnapshot.take(home)
            #expect(after == before, "\(inodes) inodes: \(after.differences(from: before))")
        }
        #expect(succeeded, "no inode count was enough for the restore")
    }

    @Test("a non-root full restore that parks a read-only directory tree commits without leaving its txn directory",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root to run as another user"))
    func readOnlyParkedTreeIsRemoved() throws {
        let temp = try TemporaryDirectory("leftover-readonly")
        let archive = try Self.archive(temp)
        let home = temp.sub("home")
        // The archive has a file `dir/new.txt`; the home has `dir/new.txt/` as a read-only tree.
        try Fixture(root: home).file("dir/new.txt/sub/data", "the user's\n")
        #expect(chmod(home + "/dir/new.txt/sub", 0o555) == 0)
        try Shell.run(["chown", "-R", "65534:65534", temp.path])
        let result = try Shell.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                    Sindri.binary, "restore", archive, "--home", home, "--no-interactive", "--mode", "full"],
                                   environment: ["HOME": temp.path])
        #expect(result.status == 0, "\(result.stderr)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: home + "/.sindri")) ?? []
        #expect(!left.contains { $0.hasPrefix("txn-") }, "left behind: \(left)")
        #expect(FileManager.default.contents(atPath: home + "/dir/new.txt") == Data("new\n".utf8))
    }
}
