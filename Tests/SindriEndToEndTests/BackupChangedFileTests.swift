import Foundation
import Testing

/// A file replaced while it is read (renamed over by a same-size, same-mtime version) is never
/// archived silently as a mix of both: either the backup warns "file changed as we read it" and
/// exits 3, or the archived file is one of the versions, whole.
@Suite("backup of a file replaced while it is read (end to end)")
struct BackupChangedFileTests {
    /// Renames versions A and B of the file over it, alternately, as fast as it can, each with
    /// the same size and mtime as the original, until the stop file appears.
    static let racer = #"""
        import os, sys, time
        target, a, b, stop = sys.argv[1:5]
        mtime = os.stat(target).st_mtime_ns
        scratch = os.path.dirname(a)
        versions = [open(a, 'rb').read(), open(b, 'rb').read()]
        i = 0
        while not os.path.exists(stop):
            tmp = os.path.join(scratch, 'next')
            with open(tmp, 'wb') as f:
                f.write(versions[i % 2])
            os.utime(tmp, ns=(mtime, mtime))
            os.rename(tmp, target)
            i += 1
        """#

    @Test("a multi-MiB file renamed over during the read: warning and exit 3, or one whole version", .timeLimit(.minutes(5)))
    func replacedWhileRead() throws {
        let temp = try TemporaryDirectory("changed")
        let home = temp.sub("home")
        let scratch = temp.sub("scratch")   // same filesystem as the home, outside it
        let size = 4 << 20
        let versionA = CLIFiles.randomData(size, seed: 11)
        let versionB = CLIFiles.randomData(size, seed: 22)
        try versionA.write(to: URL(fileURLWithPath: scratch + "/a"))
        try versionB.write(to: URL(fileURLWithPath: scratch + "/b"))
        let target = home + "/workspace/big.bin"
        try Fixture(root: home).data("workspace/big.bin", versionA)
        var warned = 0
        for trial in 0..<3 {
            let stop = scratch + "/stop-\(trial)"
            let racer = Process()
            racer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            racer.arguments = ["python3", "-c", Self.racer, target, scratch + "/a", scratch + "/b", stop]
            try racer.run()
            Thread.sleep(forTimeInterval: 0.2)
            let archive = temp.path + "/trial\(trial).tar.gz"
            let run = try Sindri.run(["backup", "-p", "full", "--home", home, "-o", archive, "--compression", "1"])
            FileManager.default.createFile(atPath: stop, contents: nil)
            racer.waitUntilExit()
            if run.status == 3 {
                #expect(run.stderr.contains("workspace/big.bin") && run.stderr.contains("changed as we read it"), "trial \(trial): \(run.stderr)")
                warned += 1
            } else {
                #expect(run.status == 0, "trial \(trial): \(run.stderr)")
                let extracted = try Shell.run(["tar", "-xzOf", archive, "workspace/big.bin"])
                #expect(extracted.stdout == versionA || extracted.stdout == versionB,
                        "trial \(trial): exit 0 but the archived file is a mix of both versions")
            }
        }
        // Not a requirement, but a test that never sees a race proves nothing: say so.
        #expect(warned > 0, "no trial saw the file change; the race did not happen")
    }
}
