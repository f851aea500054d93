import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small helpers for the CLI tests.
package enum CLIFiles {
    /// The size of a file in bytes.
    package static func size(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// Member names of a .tar.gz as GNU tar lists them, without the tool's metadata members.
    package static func members(_ archive: String) throws -> Set<String> {
        let listing = try gnuTarList(archive)
        return Set(listing.names).subtracting([".backup-manifest.json", ".backup-checksums.sha256", ".backup-summary.json", ".sindri/backup-index.jsonl"])
    }

    /// A small home: text files, a symlink, a hard link, an empty directory, under `workspace/`.
    @discardableResult
    package static func smallHome(at root: String) throws -> Fixture {
        try SmallHome.cli.build(at: root)
    }

    /// Writes `count` pseudo-random (incompressible, deterministic) bytes.
    package static func randomData(_ count: Int, seed: UInt64 = 1) -> Data {
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
    package static func skippedFile(_ path: String) throws {
        if geteuid() == 0 {
            guard try Shell.run(["mknod", path, "c", "1", "3"]).status == 0 else { throw Fixture.FixtureError.create(path) }
        } else {
            guard FileManager.default.createFile(atPath: path, contents: Data("x".utf8)), chmod(path, 0) == 0 else {
                throw Fixture.FixtureError.create(path)
            }
        }
    }

    /// Whether `directory` is empty (or missing).
    package static func isEmptyDirectory(_ directory: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).isEmpty
    }

    /// Lines of a text, without empty ones.
    package static func lines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init)
    }
}
