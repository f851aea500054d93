import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The layout every restore test uses: `temp/home` (the restore target), `temp/outside` (a sentinel
/// next to it that nothing may touch) and `temp/env-home` (the process's $HOME and working
/// directory, also off limits: a write relative to the working directory lands there and shows).
package struct RestoreSandbox: Sendable {
    package let temp: TemporaryDirectory
    package let home: String
    package let outside: String
    package let envHome: String

    package init(_ label: String) throws {
        temp = try TemporaryDirectory(label)
        home = temp.sub("home")
        outside = temp.sub("outside")
        envHome = temp.sub("env-home")
        try Fixture(root: outside).file("file", "sentinel: must never change\n", mode: 0o644)
        try Fixture(root: outside).file("target", "link target outside the home\n", mode: 0o644)
        try Fixture(root: outside).directory("dir")
    }

    package var path: String { temp.path }
    package func file(_ name: String) -> String { temp.path + "/" + name }

    /// Everything in the sandbox except the home: the sentinel, the archives, $HOME.
    package func outsideSnapshot() throws -> HomeSnapshot {
        try HomeSnapshot.take(temp.path, excluding: ["home"]).withoutRoot
    }

    /// The whole sandbox, home included.
    package func fullSnapshot() throws -> HomeSnapshot { try HomeSnapshot.take(temp.path).withoutRoot }

    package func homeSnapshot() throws -> HomeSnapshot { try HomeSnapshot.take(home) }

    /// `sindri restore ARCHIVE --home HOME --no-interactive [-m MODE] EXTRA...`
    @discardableResult
    package func restore(_ archive: String, mode: String? = nil, _ extra: [String] = [], stdin: Data? = nil) throws -> ProcessOutput {
        var arguments = ["restore", archive, "--home", home, "--no-interactive"]
        if let mode { arguments += ["--mode", mode] }
        return try Sindri.run(arguments + extra, environment: ["HOME": envHome], stdin: stdin, cwd: envHome)
    }

    /// `sindri verify ARCHIVE EXTRA...`
    @discardableResult
    package func verify(_ archive: String, _ extra: [String] = [], stdin: Data? = nil) throws -> ProcessOutput {
        try Sindri.run(["verify", archive] + extra, environment: ["HOME": envHome], stdin: stdin, cwd: envHome)
    }

    /// `sindri backup --home SOURCE -o FILE -p PROFILE`, failing the caller when the backup fails.
    package func backup(of source: String, profile: String = "standard", to name: String = "backup.tar.gz") throws -> String {
        let archive = file(name)
        let result = try Sindri.run(["backup", "--home", source, "-o", archive, "-p", profile], environment: ["HOME": envHome], cwd: envHome)
        guard result.status == 0 else { throw RestoreTestError.backupFailed(result.stderr) }
        return archive
    }

    package func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: home + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    package func exists(_ relative: String) -> Bool { lstatOf(home + "/" + relative) != nil }
}

package enum RestoreTestError: Error { case backupFailed(String), pythonFailed(String) }

/// `lstat`, or nil when the path does not exist.
package func lstatOf(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}
