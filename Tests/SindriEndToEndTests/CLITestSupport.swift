import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One `--json` stream, parsed line by line: every line must be a JSON object with a `message_type`.
struct JSONStream {
    /// The objects in stream order.
    var messages: [[String: Any]]
    /// Lines that were not a JSON object with a `message_type` (must be empty).
    var badLines: [String]

    init(_ data: Data) {
        messages = []
        badLines = []
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["message_type"] is String else {
                badLines.append(String(line))
                continue
            }
            messages.append(object)
        }
        // The stream must end with a newline: a truncated last line is a bad line too.
        if !text.isEmpty, !text.hasSuffix("\n") { badLines.append("(no final newline)") }
    }

    init(_ text: String) { self.init(Data(text.utf8)) }

    /// The messages of one type.
    func of(_ type: String) -> [[String: Any]] {
        messages.filter { $0["message_type"] as? String == type }
    }

    /// The `message_type` of each line, in order.
    var types: [String] { messages.compactMap { $0["message_type"] as? String } }
}

/// Runs a command under a pseudo-terminal with `script(1)`, which is how a user sees it: the
/// captured output is what the terminal received (stdout and stderr together, `\r` included).
enum Terminal {
    static let isAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")

    /// Runs `arguments` (the binary and its arguments) on a pseudo-terminal with `environment` set.
    static func run(_ arguments: [String], environment: [String: String] = [:], cwd: String? = nil) throws -> ProcessOutput {
        let command = arguments.map(quote).joined(separator: " ")
        var env = ["HOME": "/nonexistent-sindri-test-home"]
        env.merge(environment) { _, new in new }
        return try Shell.run(["script", "-qec", command, "/dev/null"], environment: env, cwd: cwd)
    }

    /// Single-quotes a word for `sh -c`.
    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Small helpers for the CLI tests.
enum CLIFiles {
    /// The size of a file in bytes.
    static func size(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// Member names of a .tar.gz as GNU tar lists them, without the tool's metadata members.
    static func members(_ archive: String) throws -> Set<String> {
        let listing = try gnuTarList(archive)
        return Set(listing.names).subtracting([".backup-manifest.json", ".backup-checksums.sha256", ".backup-summary.json", ".sindri/backup-index.jsonl"])
    }

    /// A small home: text files, a symlink, a hard link, an empty directory, under `workspace/`.
    @discardableResult
    static func smallHome(at root: String) throws -> Fixture {
        let f = Fixture(root: root)
        try f.file("workspace/projects/app/main.swift", "print(\"hello\")\n")
        try f.file("workspace/projects/app/README.md", String(repeating: "Documentation line.\n", count: 100))
        try f.file("workspace/projects/app/run.sh", "#!/bin/sh\necho run\n", mode: 0o755)
        try f.symlink("workspace/projects/app/link", to: "README.md")
        try f.hardLink("workspace/projects/app/README-copy.md", to: "workspace/projects/app/README.md")
        try f.directory("workspace/projects/empty")
        try f.file(".gitconfig", "[user]\n\tname = Dev\n")
        return f
    }

    /// Writes `count` pseudo-random (incompressible, deterministic) bytes.
    static func randomData(_ count: Int, seed: UInt64 = 1) -> Data {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        return Data(bytes)
    }

    /// Creates something a backup skips with a warning (exit 3): a device node as root (FIFOs
    /// are archived and sockets only noted), an unreadable file otherwise.
    static func skippedFile(_ path: String) throws {
        if geteuid() == 0 {
            guard try Shell.run(["mknod", path, "c", "1", "3"]).status == 0 else { throw Fixture.FixtureError.create(path) }
        } else {
            guard FileManager.default.createFile(atPath: path, contents: Data("x".utf8)), chmod(path, 0) == 0 else {
                throw Fixture.FixtureError.create(path)
            }
        }
    }

    /// Whether `directory` is empty (or missing).
    static func isEmptyDirectory(_ directory: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).isEmpty
    }

    /// Lines of a text, without empty ones.
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }
}
