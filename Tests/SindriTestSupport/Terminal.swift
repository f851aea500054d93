import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command under a pseudo-terminal with `script(1)`, which is how a user sees it: the
/// captured output is what the terminal received (stdout and stderr together, `\r` included).
package enum Terminal {
    package static let isAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")

    /// Runs `arguments` (the binary and its arguments) on a pseudo-terminal with `environment` set.
    package static func run(_ arguments: [String], environment: [String: String] = [:], cwd: String? = nil) throws -> ProcessOutput {
        let command = arguments.map(quote).joined(separator: " ")
        var env = ["HOME": "/nonexistent-sindri-test-home"]
        env.merge(environment) { _, new in new }
        return try Shell.run(["script", "-qec", command, "/dev/null"], environment: env, cwd: cwd)
    }

    /// Single-quotes a word for `sh -c`.
    package static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
