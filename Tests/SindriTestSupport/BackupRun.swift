import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Running `sindri backup` in the ways the end-to-end tests need.
package enum BackupRun {
    /// The uid and gid the tests drop to when they run as root (the `nobody` account).
    package static let unprivilegedID: UInt32 = 65534

    package static var isRoot: Bool { geteuid() == 0 }

    package static var hasSetpriv: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }

    /// Whether `runUnprivileged` can work: we are not root, or setpriv can drop root.
    package static var canRunUnprivileged: Bool { !isRoot || hasSetpriv }

    /// Runs `sindri` as a user without root's power to read anything: directly when the tests are
    /// not root, else through `setpriv` as uid/gid 65534 with no supplementary groups.
    package static func runUnprivileged(_ arguments: [String]) throws -> ProcessOutput {
        guard isRoot else { return try Sindri.run(arguments) }
        let id = String(unprivilegedID)
        return try Shell.run(
            ["setpriv", "--reuid=\(id)", "--regid=\(id)", "--clear-groups", Sindri.binary] + arguments,
            environment: ["HOME": "/nonexistent-sindri-test-home"])
    }

    /// Hands `paths` (recursively) to the unprivileged user when the tests run as root.
    package static func giveToUnprivileged(_ paths: String...) throws {
        guard isRoot else { return }
        for path in paths {
            let result = try Shell.run(["chown", "-R", "\(unprivilegedID):\(unprivilegedID)", path])
            guard result.status == 0 else { throw BackupTestError.tool("chown", result.stderr) }
        }
    }

    /// Starts `sindri` without waiting: stdout and stderr go to files in `logDirectory`.
    package static func start(_ arguments: [String], logDirectory: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Sindri.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["HOME": "/nonexistent-sindri-test-home"]) { _, new in new }
        _ = FileManager.default.createFile(atPath: logDirectory + "/stdout", contents: nil)
        _ = FileManager.default.createFile(atPath: logDirectory + "/stderr", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: logDirectory + "/stdout")
        process.standardError = FileHandle(forWritingAtPath: logDirectory + "/stderr")
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls until `condition` holds, failing after `timeout` seconds.
    package static func wait(for what: String, timeout: Double = 20, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw BackupTestError.timeout(what) }
            usleep(5_000)
        }
    }
}
