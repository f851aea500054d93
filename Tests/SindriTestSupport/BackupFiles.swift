import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small file-system helpers for the backup tests.
package enum BackupFiles {
    /// The names in a directory, sorted (hidden ones included).
    package static func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    package static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// The lines of a text, without empty ones.
    package static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    }

    /// The archive's members as GNU tar lists them, without the tool's `.backup-*` files and index.
    package static func dataMembers(_ archive: String) throws -> Set<String> {
        let listing = try gnuTarList(archive)
        guard listing.status == 0 else { throw BackupTestError.tool("tar -tzf", listing.stderr) }
        return Set(listing.names.filter { !$0.hasPrefix(".backup-") && $0 != ".sindri/backup-index.jsonl" })
    }

    /// A small home under `root` with content in every include root of the standard profile.
    @discardableResult
    package static func smallHome(at root: String) throws -> Fixture {
        try SmallHome.backup.build(at: root)
    }
}
