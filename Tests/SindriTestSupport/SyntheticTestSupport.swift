import Foundation
import SindriSynthetic
#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the synthetic-workspace tests: temporary directories, shell commands and tree listings.
package enum SyntheticTestSupport {
    /// Creates an empty temporary directory and returns its path; callers remove it with `removeDirectory`.
    package static func makeTemporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sindri-synthetic-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Removes a directory created by `makeTemporaryDirectory`.
    package static func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Generates `spec` into a fresh temporary directory, runs `body`, then removes the directory.
    package static func withWorkspace<Result>(
        _ spec: WorkspaceSpec, _ body: (GeneratedWorkspace) throws -> Result
    ) throws -> Result {
        let parent = try makeTemporaryDirectory()
        defer { removeDirectory(parent) }
        let workspace = try WorkspaceGenerator.generate(spec, at: parent + "/home")
        return try body(workspace)
    }

    /// Runs `command` with `/bin/sh -c` in `directory` and returns its standard output.
    /// - Throws: `SyntheticCommandFailure` when the command exits with a non-zero status.
    package static func shell(_ command: String, in directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SyntheticCommandFailure(command: command, status: process.terminationStatus)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every entry under `root` as `path|type|mode|size|mtime(ns)|link target|sha256`, sorted; the fingerprint
    /// the determinism tests compare.
    package static func listing(of root: String) throws -> [String] {
        // Directory sizes are left out: they depend on the filesystem's block packing, not on the generator.
        let metadata = try shell(
            "{ find . -mindepth 1 -type d -printf '%P|%y|%m|%T@\\n'; "
                + "find . -mindepth 1 ! -type d -printf '%P|%y|%m|%s|%T@|%l\\n'; } | LC_ALL=C sort", in: root)
        let hashes = try shell(
            "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum", in: root)
        return metadata.split(separator: "\n").map(String.init) + hashes.split(separator: "\n").map(String.init)
    }

    /// Relative paths of entries of `type` (`f`, `d` or `l`, as in `find -type`) under `root`.
    package static func paths(in root: String, type: String) throws -> [String] {
        try shell("find . -mindepth 1 -type \(type) -printf '%P\\n' | LC_ALL=C sort", in: root)
            .split(separator: "\n").map(String.init)
    }

    /// Bytes of `gzip -6` output for the concatenation of `files` (paths relative to `root`).
    package static func gzipRatio(of files: [String], in root: String) throws -> (input: Int, ratio: Double) {
        let list = try makeTemporaryDirectory()
        defer { removeDirectory(list) }
        let listFile = list + "/files"
        try Data(files.joined(separator: "\0").utf8).write(to: URL(fileURLWithPath: listFile))
        let input = Int(try shell("xargs -0 cat < '\(listFile)' | wc -c", in: root)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let output = Int(try shell("xargs -0 cat < '\(listFile)' | gzip -6 -c | wc -c", in: root)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return (input, output > 0 ? Double(input) / Double(output) : 0)
    }

    /// Whether `path` matches `pattern`, where `*` matches within one path component and `**/` any number of
    /// leading directories.
    package static func matches(_ path: String, pattern: String) -> Bool {
        var expression = "^"
        var characters = pattern[...]
        while let character = characters.popFirst() {
            if character == "*" {
                if characters.first == "*" {
                    characters.removeFirst()
                    if characters.first == "/" {
                        characters.removeFirst()
                        expression += "(.*/)?"
                    } else {
                        expression += ".*"
                    }
                } else {
                    expression += "[^/]*"
                }
            } else if character == "?" {
                expression += "[^/]"
            } else {
                expression += NSRegularExpression.escapedPattern(for: String(character))
            }
        }
        expression += "$"
        return path.range(of: expression, options: .regularExpression) != nil
    }
}

/// A helper shell command failed.
package struct SyntheticCommandFailure: Error, CustomStringConvertible {
    package let command: String
    package let status: Int32
    package var description: String { "command failed with status \(status): \(command)" }
}
