import Foundation

/// A directory under the system temp folder, removed on deinit (or earlier by `remove()`), even when
/// a test left parts of it unreadable. The one temporary folder of every test target: the path-based
/// calls (`path`, `sub`) serve the end-to-end tests, the URL-based ones (`url`, `file`, `write`) the
/// codec tests.
///
/// Sendable because every stored property is an immutable Sendable value; the folder on disk is the
/// test's to share.
package final class TemporaryDirectory: Sendable {
    package let path: String

    package init(_ label: String = "e2e") throws {
        path = NSTemporaryDirectory() + "sindri-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { remove() }

    package var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// Creates (if needed) and returns the subfolder `name`.
    package func sub(_ name: String) -> String {
        let full = path + "/" + name
        try? FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    /// The URL of `name` inside the folder (not created).
    package func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `bytes` to `name` inside the folder and returns its URL.
    package func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let target = file(name)
        try Data(bytes).write(to: target)
        return target
    }

    /// Removes the folder now; harmless when already gone. A test that chmod'ed something to 0
    /// would make a plain removal fail, so permissions are restored first in that case.
    package func remove() {
        guard FileManager.default.fileExists(atPath: path) else { return }
        if (try? FileManager.default.removeItem(atPath: path)) != nil { return }
        _ = try? Shell.run(["chmod", "-R", "u+rwx", path])
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The temporary folder of the tar tests, which name files by path (`path("x")`) rather than by URL.
package final class TarTemporaryDirectory: Sendable {
    private let directory: TemporaryDirectory

    package init() throws { directory = try TemporaryDirectory("tar-tests") }

    package var url: URL { directory.url }

    package func path(_ name: String) -> String { directory.path + "/" + name }
}
