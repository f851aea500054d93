import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real SIGINT/SIGTERM sent to the built binary at known points of restore, verify, list and
/// rollback. A stopped restore exits 130/143 and leaves the home byte-identical to before
/// (contents, modes, nanosecond mtimes and inodes of every entry, the home's own mtime, no
/// `.sindri`); verify and list exit 130/143 in under a second; a stopped rollback leaves a
/// journal that the next `sindri rollback` finishes.
///
/// Exact points use the engine's test hook (`SINDRI_TEST_PAUSE_AT`: the engine waits at that
/// point until the signal arrives, then goes on to its next check); points inside a stage that
/// has no hook (the snapshot being written, the journaled apply) are found by watching the files
/// the restore writes. Each point runs several times.
@Suite("signals (end to end)", .serialized)
struct SignalTests {
    static let repetitions = 3
    /// How long a command may take to reach the point a test signals it at. Generous: with ~560
    /// tests on two loaded cores a debug restore of these homes took over a minute to reach its
    /// plan. The waits end as soon as the point is reached or the command exits, so the bound only
    /// matters for a command that hangs, which then fails the test.
    static let reachTimeout: Double = 600

    /// A sandbox with a source home, its archive, and a target home that already holds other
    /// versions of some paths (so a full restore overwrites files and snapshots them), with
    /// nanosecond mtimes on every entry, the root included.
    struct Homes {
        let temp: TemporaryDirectory
        let target: String
        let archive: String
        let envHome: String
        let logs: String

        init(_ label: String, files: Int = 1500, bigFiles: Int = 12) throws {
            temp = try TemporaryDirectory(label)
            let source = temp.sub("source")
            target = temp.sub("target")
            envHome = temp.sub("env-home")
            logs = temp.sub("logs")
            let made = try Shell.python("""
                import os, sys
                src, dst, n, big = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
                blob = os.urandom(1 << 21)
                for i in range(n):
                    d = os.path.join(src, 'workspace/projects', f'p{i % 13}', f'd{i % 31}')
                    os.makedirs(d, exist_ok=True)
                    with open(os.path.join(d, f'f{i}.txt'), 'wb') as f:
                        f.write((f'line {i} ' * 300).encode())
                for i in range(big):
                    d = os.path.join(src, 'workspace/data')
                    os.makedirs(d, exist_ok=True)
                    with open(os.path.join(d, f'big{i}.bin'), 'wb') as f:
                        f.write(blob[i * 7919:] + blob[:i * 7919])
                for i in range(0, n, 5):
                    d = os.path.join(dst, 'workspace/projects', f'p{i % 13}', f'd{i % 31}')
                    os.makedirs(d, exist_ok=True)
                    with open(os.path.join(d, f'f{i}.txt'), 'wb') as f:
                        f.write(b'the user version %d\\n' % i)
                    os.chmod(os.path.join(d, f'f{i}.txt'), 0o640)
                os.makedirs(os.path.join(dst, 'workspace/data'), exist_ok=True)
                for i in range(big):
                    with open(os.path.join(dst, 'workspace/data', f'big{i}.bin'), 'wb') as f:
                        f.write(blob[i * 104729:] + blob[:i * 104729])
                open(os.path.join(dst, 'mine.txt'), 'w').write('mine\\n')
                os.symlink('mine.txt', os.path.join(dst, 'link'))
                # Nanosecond mtimes everywhere, directories last (children first) so they stick.
                k = 0
                for d, ds, fs in os.walk(dst, topdown=False):
                    for name in fs + ds:
                        k += 1
                        os.utime(os.path.join(d, name), ns=(1_650_000_000_123_456_789 + k, 1_650_000_000_123_456_789 + k), follow_symlinks=False)
                os.utime(dst, ns=(1_640_000_000_987_654_321, 1_640_000_000_987_654_321))
                """, [source, target, String(files), String(bigFiles)])
            guard made.status == 0 else { throw RestoreTestError.pythonFailed(made.stderr) }
            archive = temp.path + "/backup.tar.gz"
            let backup = try Sindri.run(["backup", "--home", source, "-o", archive, "-p", "full", "--compression", "1"],
                                        environment: ["HOME": envHome], cwd: envHome)
            guard backup.status == 0 else { throw RestoreTestError.backupFailed(backup.stderr) }
        }

        var pauseFile: String { logs + "/paused" }

        /// Starts `sindri ARGUMENTS` with stdout and stderr in `logs`, paused at `pause` if given.
        func start(_ arguments: [String], pause: String? = nil, pauseCount: Int = 1) throws -> Process {
            unlink(pauseFile)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Sindri.binary)
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["HOME"] = envHome
            if let pause {
                environment["SINDRI_TEST_PAUSE_AT"] = pause
                environment["SINDRI_TEST_PAUSE_FILE"] = pauseFile
                environment["SINDRI_TEST_PAUSE_COUNT"] = String(pauseCount)
            }
            process.environment = environment
            process.currentDirectoryURL = URL(fileURLWithPath: envHome)
            _ = FileManager.default.createFile(atPath: logs + "/stdout", contents: nil)
            _ = FileManager.default.createFile(atPath: logs + "/stderr", contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: logs + "/stdout")
            process.standardError = FileHandle(forWritingAtPath: logs + "/stderr")
            process.standardInput = FileHandle.nullDevice
            try process.run()
            return process
        }

        func restore(pause: String? = nil) throws -> Process {
            try start(["restore", archive, "--home", target, "--mode", "full", "--no-interactive"], pause: pause)
        }

        /// Waits for the test hook's file (the engine is paused at its point).
        func waitForPause(_ process: Process) throws {
            try BackupRun.wait(for: "the pause point", timeout: SignalTests.reachTimeout) {
                FileManager.default.fileExists(atPath: pauseFile) || !process.isRunning
            }
            try #require(process.isRunning, "sindri ended before its pause point: \(stderr)")
        }

        var stderr: String { (try? String(contentsOfFile: logs + "/stderr", encoding: .utf8)) ?? "" }
    }

    /// Sends `signalNumber`, waits for the exit; returns the exit status and the seconds it took.
    static func stop(_ process: Process, with signalNumber: Int32) -> (status: Int32, seconds: Double) {
        let sent = Date()
        kill(process.processIdentifier, signalNumber)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(sent)
        #expect(process.terminationReason == .exit, "killed by the signal instead of handling it")
        return (process.terminationStatus, seconds)
    }

    static func expectedStatus(_ signalNumber: Int32) -> Int32 { signalNumber == SIGINT ? 130 : 143 }

    // MARK: - restore

    @Test("restore stopped at a stage boundary: exit 130/143 and the home exactly as before",
          arguments: ["read", "planned", "snapshot"])
    func restoreStoppedAtHook(point: String) throws {
        let homes = try Homes("signal-\(point)")
        let before = try HomeSnapshot.take(homes.target)
        for round in 0..<Self.repetitions {
            let signalNumber = round % 2 == 0 ? SIGINT : SIGTERM
            let process = try homes.restore(pause: point)
            try homes.waitForPause(process)
            let (status, _) = Self.stop(process, with: signalNumber)
            #expect(status == Self.expectedStatus(signalNumber), "\(point) round \(round): \(homes.stderr)")
            #expect(homes.stderr.contains("interrupted"), "\(homes.stderr)")
            let after = try HomeSnapshot.take(homes.target)
            #expect(after == before, "\(point) round \(round): \(after.differences(from: before).prefix(10))")
        }
    }

    @Test("restore stopped while the snapshot is written: exit 143 and the home exactly as before")
    func restoreStoppedDuringSnapshot() throws {
        let homes = try Homes("signal-snapshot-write", files: 300, bigFiles: 24)
        let before = try HomeSnapshot.take(homes.target)
        let snapshots = homes.target + "/.sindri/restore-snapshots"
        var caught = 0
        for round in 0..<Self.repetitions {
            let process = try homes.restore()
            try BackupRun.wait(for: "the snapshot to be written", timeout: SignalTests.reachTimeout) {
                BackupFiles.names(in: snapshots).contains { $0.hasSuffix(".tmp") } || !process.isRunning
            }
            let running = process.isRunning
            let (status, _) = Self.stop(process, with: SIGTERM)
            if running && status == 143 { caught += 1 }
            #expect(status == 143 || (!running && status == 0), "round \(round): \(homes.stderr)")
            if status == 143 {
                let after = try HomeSnapshot.take(homes.target)
                #expect(after == before, "round \(round): \(after.differences(from: before).prefix(10))")
            } else {
                // Missed the window: undo the finished restore for the next round.
                #expect(try Sindri.run(["rollback", "--home", homes.target, "--no-interactive"]).status == 0)
                break
            }
        }
        #expect(caught > 0, "the snapshot was never caught being written")
    }

    @Test("restore stopped during the journaled apply: rolled back, exit 130, the home exactly as before")
    func restoreStoppedDuringApply() throws {
        let homes = try Homes("signal-apply", files: 6000, bigFiles: 2)
        let before = try HomeSnapshot.take(homes.target)
        let journals = homes.target + "/.sindri/journals"
        var caught = 0
        for round in 0..<Self.repetitions {
            let process = try homes.restore()
            // The journal exists from the moment the transaction begins; its intents grow per batch.
            try BackupRun.wait(for: "the apply to start", timeout: SignalTests.reachTimeout) {
                BackupFiles.names(in: journals).contains { name in
                    guard name.hasSuffix(".journal") else { return false }
                    let size = (try? FileManager.default.attributesOfItem(atPath: journals + "/" + name)[.size] as? UInt64) ?? 0
                    return size > 8192
                } || !process.isRunning
            }
            let running = process.isRunning
            let (status, _) = Self.stop(process, with: SIGINT)
            if running && status == 130 { caught += 1 }
            if status == 130 {
                #expect(homes.stderr.contains("rolled back"), "\(homes.stderr)")
                let after = try HomeSnapshot.take(homes.target)
                #expect(after == before, "round \(round): \(after.differences(from: before).prefix(10))")
            } else {
                // The signal came after the commit: the restore stands, and says so.
                #expect(status == 0, "round \(round): \(homes.stderr)")
                #expect(try Sindri.run(["rollback", "--home", homes.target, "--no-interactive"]).status == 0)
                break
            }
        }
        #expect(caught > 0, "the apply was never caught")
    }

    @Test("restore sent SIGINT at many moments: either stopped with the home as before, or committed and saying so")
    func restoreAtManyMoments() throws {
        let homes = try Homes("signal-moments", files: 2000, bigFiles: 8)
        let started = Date()
        let clean = try homes.restore()
        clean.waitUntilExit()
        let duration = Date().timeIntervalSince(started)
        #expect(clean.terminationStatus == 0, "\(homes.stderr)")
        #expect(try Sindri.run(["rollback", "--home", homes.target, "--no-interactive"]).status == 0)
        let points = 6
        for point in 0..<points {
            // The home as it is now, .sindri (with the earlier journals and snapshots) included.
            let current = try HomeSnapshot.take(homes.target)
            let delay = duration * (Double(point) + 0.5) / Double(points)
            let process = try homes.restore()
            usleep(useconds_t(delay * 1_000_000))
            let (status, _) = Self.stop(process, with: SIGINT)
            switch status {
            case 130:
                let after = try HomeSnapshot.take(homes.target)
                #expect(after == current, "delay \(delay): \(after.differences(from: current).prefix(10))")
            case 0:
                // Too late to stop it: the restore stands (and, if the signal reached it, says so).
                #expect(try Sindri.run(["rollback", "--home", homes.target, "--no-interactive"]).status == 0)
            default:
                Issue.record("delay \(delay): exit \(status): \(homes.stderr)")
            }
        }
    }

    // MARK: - verify and list

    @Test("verify and list stop within a second of SIGINT or SIGTERM", arguments: ["verify", "list"])
    func readersStopPromptly(command: String) throws {
        let homes = try Homes("signal-\(command)", files: 200, bigFiles: 16)
        for round in 0..<Self.repetitions {
            let signalNumber = round % 2 == 0 ? SIGTERM : SIGINT
            let process = try homes.start([command, homes.archive], pause: command == "verify" ? "read" : "list")
            try homes.waitForPause(process)
            let (status, seconds) = Self.stop(process, with: signalNumber)
            #expect(status == Self.expectedStatus(signalNumber), "\(command) round \(round): \(homes.stderr)")
            #expect(seconds < 1, "\(command) took \(seconds) s to stop")
        }
        // Without the hook, at a moment in the middle of a real verify.
        let process = try homes.start(["verify", homes.archive])
        usleep(150_000)
        if process.isRunning {
            let (status, seconds) = Self.stop(process, with: SIGTERM)
            #expect(status == 143 || status == 0, "\(homes.stderr)")
            #expect(seconds < 1, "verify took \(seconds) s to stop")
        } else {
            process.waitUntilExit()
        }
    }

    // MARK: - rollback

    @Test("sindri rollback stopped part way: exit 130, the journal says partially rolled back, and the next rollback finishes it")
    func rollbackStoppedPartWay() throws {
        let homes = try Homes("signal-rollback", files: 300, bigFiles: 4)
        let before = try HomeSnapshot.take(homes.target, excluding: [".sindri"])
        for round in 0..<Self.repetitions {
            let restore = try homes.restore()
            restore.waitUntilExit()
            #expect(restore.terminationStatus == 0, "\(homes.stderr)")
            // Stop after some of the undo operations (a different number each round).
            let process = try homes.start(["rollback", "--home", homes.target, "--no-interactive"], pause: "rollback", pauseCount: 2 + round * 40)
            try homes.waitForPause(process)
            let (status, _) = Self.stop(process, with: SIGINT)
            #expect(status == 130, "round \(round): \(homes.stderr)")
            #expect(homes.stderr.contains("sindri rollback again"), "\(homes.stderr)")
            let list = try Sindri.run(["rollback", "--home", homes.target, "--list"])
            #expect(list.stdoutText.contains("partially rolled back"), "\(list.stdoutText)")
            let again = try Sindri.run(["rollback", "--home", homes.target, "--no-interactive"])
            #expect(again.status == 0, "\(again.stderr)")
            // Undoing a completed restore extracts the originals from its snapshot: the same
            // contents, modes and mtimes, in new inodes.
            let after = try HomeSnapshot.take(homes.target, excluding: [".sindri"]).withoutRoot.withoutInodes
            let expected = before.withoutRoot.withoutInodes
            #expect(after == expected, "round \(round): \(after.differences(from: expected).prefix(10))")
        }
    }
}

extension HomeSnapshot {
    /// The snapshot with the inode numbers left out.
    var withoutInodes: HomeSnapshot {
        HomeSnapshot(entries: entries.mapValues { description in
            var fields = description.split(separator: " ", omittingEmptySubsequences: false)
            if fields.count > 3 { fields.remove(at: 3) }
            return fields.joined(separator: " ")
        })
    }

    /// The snapshot without `path` and everything below it.
    func excluding(_ path: String) -> HomeSnapshot {
        HomeSnapshot(entries: entries.filter { $0.key != path && !$0.key.hasPrefix(path + "/") })
    }
}
