import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 5: a restore is all or nothing, even when killed, out of space or racing another.
@Suite("atomic restore (end to end)", .serialized)
struct TransactionCrashTests {
    /// A listing of a tree that `rollback` must reproduce exactly: type, mode, mtime (nanoseconds,
    /// directories included), content digest, link target; `.sindri` (the tool's state) left out.
    ///
    /// With `directoryTimes: false` the mtimes of directories are left out: two restores made at
    /// different times into equal homes differ there (entries added to a directory that already
    /// existed change its mtime to "now"), and nothing else.
    static func treeState(_ root: String, directoryTimes: Bool = true) throws -> String {
        let result = try Shell.python("""
            import os, sys, hashlib, stat
            root = sys.argv[1]
            dirtimes = sys.argv[2] == '1'
            lines = []
            for d, ds, fs in os.walk(root):
                if os.path.relpath(d, root) == '.':
                    ds[:] = [x for x in ds if x != '.sindri']
                for n in sorted(ds + fs):
                    p = os.path.join(d, n)
                    st = os.lstat(p)
                    rel = os.path.relpath(p, root)
                    extra = ''
                    if stat.S_ISREG(st.st_mode):
                        extra = hashlib.sha256(open(p, 'rb').read()).hexdigest()
                    elif stat.S_ISLNK(st.st_mode):
                        extra = os.readlink(p)
                    mtime = st.st_mtime_ns if (dirtimes or not stat.S_ISDIR(st.st_mode)) else 0
                    lines.append(f'{rel}\\t{st.st_mode:o}\\t{mtime}\\t{st.st_nlink if stat.S_ISREG(st.st_mode) else 0}\\t{extra}')
            print('\\n'.join(sorted(lines)))
            """, [root, directoryTimes ? "1" : "0"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdoutText
    }

    /// A source home of many small files plus some larger ones, big enough that a restore lasts a
    /// while, and a target home that already holds conflicting versions of some of them.
    static func makeHomes(_ temp: TemporaryDirectory, files: Int = 700) throws -> (source: String, target: String, archive: String) {
        let source = temp.sub("source")
        let target = temp.sub("target")
        let made = try Shell.python("""
            import os, sys, random
            src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
            rnd = random.Random(7)
            for i in range(n):
                d = os.path.join(src, 'workspace/projects', f'p{i % 17}', f'd{i % 29}')
                os.makedirs(d, exist_ok=True)
                size = 20000 if i % 50 else 400000
                with open(os.path.join(d, f'f{i}.txt'), 'wb') as f:
                    f.write((f'line {i} ' * (size // 8)).encode()[:size])
            os.symlink('p1', os.path.join(src, 'workspace/projects/link'))
            # The target already has some of the same paths with other content, and files of its own.
            for i in range(0, n, 7):
                d = os.path.join(dst, 'workspace/projects', f'p{i % 17}', f'd{i % 29}')
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f'f{i}.txt'), 'wb') as f:
                    f.write(b'the user version %d\\n' % i)
            os.makedirs(os.path.join(dst, 'workspace/projects/mine'), exist_ok=True)
            open(os.path.join(dst, 'workspace/projects/mine/keep.txt'), 'w').write('mine\\n')
            open(os.path.join(dst, '.bashrc'), 'w').write('export MINE=1\\n')
            """, [source, target, String(files)])
        #expect(made.status == 0, "\(made.stderr)")
        let archive = temp.path + "/backup.tar.gz"
        let backup = try Sindri.run(["backup", "--home", source, "-o", archive, "-p", "full", "--compression", "1"])
        #expect(backup.status == 0, "\(backup.stderr)")
        return (source, target, archive)
    }

    @Test("SIGKILL at many points of a restore: rollback gives back the exact prior tree, and restoring again reaches the uninterrupted result")
    func killedRestoresRollBack() throws {
        let temp = try TemporaryDirectory("crash")
        let (_, target, archive) = try Self.makeHomes(temp)
        let before = try Self.treeState(target)

        // The uninterrupted result, on a copy, and how long it takes.
        let reference = temp.path + "/reference"
        #expect(try Shell.run(["cp", "-a", target, reference]).status == 0)
        let started = Date()
        let clean = try Sindri.run(["restore", archive, "--home", reference, "--mode", "full", "--no-interactive"])
        let duration = Date().timeIntervalSince(started)
        #expect(clean.status == 0, "\(clean.stderr)")
        let expected = try Self.treeState(reference, directoryTimes: false)
        #expect(expected != before)

        let points = 12
        for point in 0..<points {
            let delay = duration * (Double(point) + 0.5) / Double(points)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Sindri.binary)
            process.arguments = ["restore", archive, "--home", target, "--mode", "full", "--no-interactive"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(delay * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let rollback = try Sindri.run(["rollback", "--home", target, "--no-interactive"])
            #expect(rollback.status == 0, "kill point \(point) (\(delay) s): rollback failed: \(rollback.stderr)")
            let after = try Self.treeState(target)
            #expect(after == before, "kill point \(point) (\(String(format: "%.2f", delay)) s): the home differs from before the restore")
        }
        let again = try Sindri.run(["restore", archive, "--home", target, "--mode", "full", "--no-interactive"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.treeState(target, directoryTimes: false) == expected)
    }

    @Test("a killed restore is rolled back by the next restore before it does anything")
    func nextRestoreRecoversFirst() throws {
        let temp = try TemporaryDirectory("recover")
        let (_, target, archive) = try Self.makeHomes(temp, files: 600)
        let reference = temp.path + "/reference"
        #expect(try Shell.run(["cp", "-a", target, reference]).status == 0)
        #expect(try Sindri.run(["restore", archive, "--home", reference, "--mode", "full", "--no-interactive"]).status == 0)
        // Fail half way with the injected I/O error, but as if killed: the test seam only makes
        // the failure deterministic; the rollback it triggers is the same as after a crash.
        let failed = try Sindri.run(["restore", archive, "--home", target, "--mode", "full", "--no-interactive"],
                                    environment: ["SINDRI_TEST_FAIL_AFTER_STEPS": "100"])
        #expect(failed.status == 5, "\(failed.stderr)")
        #expect(failed.stderr.contains("rolled back"))
        let again = try Sindri.run(["restore", archive, "--home", target, "--mode", "full", "--no-interactive"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.treeState(target, directoryTimes: false) == Self.treeState(reference, directoryTimes: false))
    }

    @Test("a rollback that cannot finish keeps the originals and says so; the next rollback completes it")
    func failedRollbackIsFinishedLater() throws {
        let temp = try TemporaryDirectory("rollback-fails")
        let (_, target, archive) = try Self.makeHomes(temp, files: 300)
        let before = try Self.treeState(target)
        // The restore fails after 150 steps, and every undo fails too (injected), so the home is
        // left half restored.
        let failed = try Sindri.run(["restore", archive, "--home", target, "--mode", "full", "--no-interactive"],
                                    environment: ["SINDRI_TEST_FAIL_AFTER_STEPS": "150", "SINDRI_TEST_FAIL_UNDOS": "1000000"])
        #expect(failed.status == 6, "\(failed.stderr)")
        #expect(failed.stderr.contains("rolling it back failed too") && failed.stderr.contains("restore-snapshots/snapshot-"), "\(failed.stderr)")
        // The transaction directory (staging and the parked originals) is kept for the retry.
        let kept = try FileManager.default.contentsOfDirectory(atPath: target + "/.sindri").filter { $0.hasPrefix("txn-") }
        #expect(kept.count == 1, "\(kept)")
        #expect(try Self.treeState(target) != before)
        let list = try Sindri.run(["rollback", "--home", target, "--list"])
        #expect(list.stdoutText.contains("rollback of a failed restore unfinished"), "\(list.stdoutText)")
        // The journal says rollbackFailed; the next rollback retries what is left and finishes.
        let rollback = try Sindri.run(["rollback", "--home", target, "--no-interactive"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(try Self.treeState(target) == before)
        let left = try FileManager.default.contentsOfDirectory(atPath: target + "/.sindri").filter { $0.hasPrefix("txn-") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test("rollback after a completed full-mode restore returns the home to its prior state")
    func rollbackCompletedFullRestore() throws {
        let temp = try TemporaryDirectory("rollback")
        let (_, target, archive) = try Self.makeHomes(temp, files: 300)
        let before = try Self.treeState(target)
        #expect(try Sindri.run(["restore", archive, "--home", target, "--mode", "full", "--no-interactive"]).status == 0)
        #expect(try Self.treeState(target) != before)
        #expect(try Self.treeState(target) != before)
        let list = try Sindri.run(["rollback", "--home", target, "--list"])
        #expect(list.status == 0 && list.stdoutText.contains("snapshot-"), "\(list.stdoutText) \(list.stderr)")
        let rollback = try Sindri.run(["rollback", "--home", target, "--no-interactive"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(try Self.treeState(target) == before)
    }

    @Test("the snapshot holds exactly what the restore replaced and reads with tar and lz4", arguments: ["gzip", "lz4"])
    func snapshotIsStandard(codec: String) throws {
        let temp = try TemporaryDirectory("snapshot")
        let (_, target, archive) = try Self.makeHomes(temp, files: 100)
        let restore = try Sindri.run(["restore", archive, "--home", target, "--mode", "full", "--no-interactive", "--snapshot-codec", codec])
        #expect(restore.status == 0, "\(restore.stderr)")
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: target + "/.sindri/restore-snapshots")
        #expect(snapshots.count == 1)
        let path = target + "/.sindri/restore-snapshots/" + (snapshots.first ?? "")
        let listing = codec == "gzip"
            ? try Shell.run(["tar", "-tzf", path])
            : try Shell.bash("lz4 -dc '\(path)' | tar -tf -")
        #expect(listing.status == 0 && listing.stderr.isEmpty, "\(listing.stderr)")
        // 100 files, every 7th pre-existed with other content: those (15) are the replaced ones.
        let names = Set(listing.stdoutText.split(separator: "\n").map(String.init))
        #expect(names.count == 15, "\(names.sorted())")
        #expect(names.allSatisfy { $0.hasPrefix("workspace/projects/") })
    }

    @Test("two restores of the same home at once: one waits its turn or is refused, the home ends consistent")
    func concurrentRestores() throws {
        let temp = try TemporaryDirectory("concurrent")
        let (_, target, archive) = try Self.makeHomes(temp, files: 800)
        let reference = temp.path + "/reference"
        #expect(try Shell.run(["cp", "-a", target, reference]).status == 0)
        #expect(try Sindri.run(["restore", archive, "--home", reference, "--mode", "full", "--no-interactive"]).status == 0)
        let first = Process()
        first.executableURL = URL(fileURLWithPath: Sindri.binary)
        first.arguments = ["restore", archive, "--home", target, "--mode", "full", "--no-interactive"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        usleep(50_000)
        let second = try Sindri.run(["restore", archive, "--home", target, "--mode", "full", "--no-interactive"])
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        if second.status != 0 {
            #expect(second.stderr.contains("another sindri restore"), "\(second.stderr)")
        }
        #expect(try Self.treeState(target, directoryTimes: false) == Self.treeState(reference, directoryTimes: false))
    }

    @Test("a restore that runs out of space on a small tmpfs rolls back to the exact prior tree (root only)")
    func outOfSpaceRollsBack() throws {
        guard geteuid() == 0 else { return }
        let temp = try TemporaryDirectory("enospc")
        let (_, _, archive) = try Self.makeHomes(temp, files: 400)
        let mount = temp.sub("tmpfs")
        guard try Shell.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mount]).status == 0 else { return }
        defer { _ = try? Shell.run(["umount", mount]) }
        let fixture = Fixture(root: mount)
        try fixture.file("workspace/projects/p0/d0/f0.txt", "the user's own version\n")
        try fixture.file(".bashrc", "export MINE=1\n")
        let before = try Self.treeState(mount)
        // --force skips the up-front free-space check, so the restore really meets ENOSPC.
        let restore = try Sindri.run(["restore", archive, "--home", mount, "--mode", "full", "--no-interactive", "--force"])
        #expect(restore.status != 0)
        #expect(restore.stderr.contains("No space left") || restore.stderr.contains("space"), "\(restore.stderr)")
        #expect(try Self.treeState(mount) == before)
    }
}
