import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Races by the home's owner while root restores: a process running as uid 65534 (owner of the
/// home) swaps entries of the home at the moment the restore is most exposed. The debug build's
/// `SINDRI_TEST_PAUSE=<point>:<fifo>` hook stops the restore at that point until the racer is
/// done, so each race happens every time instead of once in a while. Whatever the racer does,
/// nothing outside the home may change and nothing of the user's may be lost.
@Suite("restore races by the home's owner (end to end, root only)")
struct RestoreRaceTests {
    static let canRace = geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    static let rounds = 3

    /// A sandbox whose home belongs to uid 65534, a FIFO for the pause hook, and a root-owned
    /// 0600 file outside the home.
    struct Race {
        let box: RestoreSandbox
        /// Holds the FIFO, apart from the sandbox whose outside must not change.
        let fifoDirectory: TemporaryDirectory
        let fifo: String
        let secret: String

        init(_ label: String) throws {
            box = try RestoreSandbox(label)
            fifoDirectory = try TemporaryDirectory(label + "-fifo")
            fifo = fifoDirectory.path + "/pause.fifo"
            guard mkfifo(fifo, 0o666) == 0, chmod(fifo, 0o666) == 0 else { throw RaceError.setup("mkfifo \(fifo)") }
            secret = box.outside + "/secret"
            try Fixture(root: box.outside).file("secret", "root only\n", mode: 0o600)
            try Fixture(root: box.outside).file("dir/lock", "not the home's lock\n")
            try Fixture(root: box.outside).file("dir/sentinel", "keep\n")
        }

        /// Gives the home (and everything in it) to uid 65534.
        func handHomeToUser() throws {
            try Shell.run(["chown", "-R", "65534:65534", box.home])
        }

        /// Runs `sindri restore` paused at `point`, while `script` runs as uid 65534 in the home
        /// (`$HOME_DIR`, `$OUTSIDE`) during the pause. Returns the restore's output.
        func restore(_ archive: String, mode: String, pausedAt point: String, racer script: String) throws -> (ProcessOutput, ProcessOutput) {
            let racer = Process()
            racer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            racer.arguments = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "timeout", "60", "bash", "-c",
                               // Wait for the restore to reach the point, race, then let it go on.
                               "set -e; read -r line < \"$FIFO\"; cd \"$HOME_DIR\"; \(script); : > \"$FIFO\""]
            racer.environment = ["FIFO": fifo, "HOME_DIR": box.home, "OUTSIDE": box.outside, "PATH": "/usr/bin:/bin"]
            let racerErr = Pipe()
            racer.standardError = racerErr
            racer.standardOutput = FileHandle.nullDevice
            try racer.run()
            let result = try Sindri.run(["restore", archive, "--home", box.home, "--no-interactive", "--mode", mode],
                                        environment: ["HOME": box.envHome, "SINDRI_TEST_PAUSE": "\(point):\(fifo)"], cwd: box.envHome)
            // The restore never reached the point: the racer has nothing to do.
            if racer.isRunning { racer.terminate() }
            racer.waitUntilExit()
            let err = String(decoding: racerErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return (result, ProcessOutput(status: racer.terminationStatus, stdout: Data(), stderr: err))
        }
    }

    enum RaceError: Error { case setup(String) }

    @Test("a created directory swapped for a symlink to a root-owned file: the file's mode never changes",
          .enabled(if: canRace, "needs root and setpriv"))
    func createdDirectorySwappedForSymlink() throws {
        for round in 0..<Self.rounds {
            let race = try Race("race-chmod-\(round)")
            let source = race.box.temp.sub("source")
            try Fixture(root: source).file("newdir/inner.txt", "inside\n")
            #expect(chmod(source + "/newdir", 0o777) == 0)
            let archive = try race.box.backup(of: source, profile: "full")
            try race.handHomeToUser()
            let before = try race.box.outsideSnapshot()
            let (result, racer) = try race.restore(archive, mode: "safe", pausedAt: "before-attributes",
                                                   racer: "mv newdir moved; ln -s \"$OUTSIDE/secret\" newdir")
            #expect(racer.status == 0, "racer: \(racer.stderr)")
            let info = lstatOf(race.secret)
            #expect(info.map { $0.st_mode & 0o7777 } == 0o600, "round \(round): the file outside the home was chmodded: \(result.stderr)")
            #expect(info.map { $0.st_uid } == 0)
            let after = try race.box.outsideSnapshot()
            #expect(after == before, "round \(round): \(after.differences(from: before))")
            // The restore notices and fails (it never reports success over a swapped directory).
            #expect(result.status != 0, "round \(round): stderr \(result.stderr)")
            #expect(result.stderr.contains("newdir"), "round \(round): \(result.stderr)")
        }
    }

    @Test(".sindri swapped for a symlink to an outside directory: nothing outside is created or deleted",
          .enabled(if: canRace, "needs root and setpriv"),
          arguments: ["locked", "planned", "snapshotted", "before-apply", "before-attributes"])
    func toolDirectorySwappedForSymlink(point: String) throws {
        for round in 0..<Self.rounds {
            let race = try Race("race-tool-\(round)")
            let source = race.box.temp.sub("source")
            try Fixture(root: source).file("file.txt", "from the backup\n")
            try Fixture(root: source).file("newdir/inner.txt", "inside\n")
            let archive = try race.box.backup(of: source, profile: "full")
            try Fixture(root: race.box.home).file("file.txt", "the user's version\n")
            try race.handHomeToUser()
            let before = try race.box.outsideSnapshot()
            let (result, racer) = try race.restore(archive, mode: "full", pausedAt: point,
                                                   racer: "mv .sindri .sindri-moved; ln -s \"$OUTSIDE/dir\" .sindri")
            #expect(racer.status == 0, "racer: \(racer.stderr)")
            let after = try race.box.outsideSnapshot()
            #expect(after == before, "\(point), round \(round): \(after.differences(from: before)); stderr \(result.stderr)")
            #expect(OutputCheck.orderlyStatuses.contains(result.status) || result.status == 6, "\(point): \(result.status) \(result.stderr)")
            // The user's file is in the home, or (full mode) parked where the restore says.
            let current = race.box.read("file.txt")
            #expect(current == "the user's version\n" || current == "from the backup\n")
        }
    }

    @Test("a planned file replaced by a directory holding data during a full restore: the data survives",
          .enabled(if: canRace, "needs root and setpriv"),
          arguments: ["planned", "snapshotted", "before-apply"])
    func plannedFileReplacedByDirectory(point: String) throws {
        for round in 0..<Self.rounds {
            let race = try Race("race-dir-\(round)")
            let source = race.box.temp.sub("source")
            try Fixture(root: source).file("target.txt", "from the backup\n")
            try Fixture(root: source).file("other.txt", "restored too\n")
            let archive = try race.box.backup(of: source, profile: "full")
            try Fixture(root: race.box.home).file("target.txt", "the user's old version\n")
            try race.handHomeToUser()
            let (result, racer) = try race.restore(archive, mode: "full", pausedAt: point,
                                                   racer: "rm target.txt; mkdir target.txt; echo precious > target.txt/data")
            #expect(racer.status == 0, "racer: \(racer.stderr)")
            #expect(race.box.read("target.txt/data") == "precious\n",
                    "\(point), round \(round): the directory's data is gone (status \(result.status), stderr \(result.stderr))")
            #expect(result.status == 5, "\(point), round \(round): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("target.txt"), "the failure names the path: \(result.stderr)")
            // Rolled back: the file the restore would have created is not there either.
            #expect(!race.box.exists("other.txt"))
        }
    }
}
