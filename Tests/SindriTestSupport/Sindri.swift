import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `sindri` binary built next to the test bundle.
package enum Sindri {
    package static let binary: String = {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("sindri").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/sindri").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }()

    /// Runs `sindri` with a clean environment whose HOME is a throwaway directory (never the real one).
    package static func run(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, cwd: String? = nil) throws -> ProcessOutput {
        var env = environment
        if env["HOME"] == nil { env["HOME"] = "/nonexistent-sindri-test-home" }
        return try Shell.run([binary] + arguments, environment: env, stdin: stdin, cwd: cwd)
    }
}
