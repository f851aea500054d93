import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The small homes the tests build, as data with one builder. The three layouts differ on purpose
/// and tests assert on their exact contents, so each is kept as written for its suite:
/// - `cli`: text files, a symlink, a hard link and an empty directory, under `workspace/`;
/// - `backup`: content in every include root of the standard profile, nothing else;
/// - `restore`: files with distinct modes and mtimes, a 64 KiB incompressible file, a symlink,
///   a hard link and an empty directory with a non-default mode.
package struct SmallHome: Sendable {
    package enum Entry: Sendable {
        case file(String, String, mode: mode_t = 0o644, mtime: Int = 1_700_000_000)
        case data(String, Data, mode: mode_t = 0o644, mtime: Int = 1_700_000_000)
        case directory(String, mode: mode_t = 0o755)
        case symlink(String, to: String)
        case hardLink(String, to: String)
    }

    /// Created in order, so a hard link comes after its target.
    package let entries: [Entry]

    package init(_ entries: [Entry]) { self.entries = entries }

    /// Creates every entry under `root`.
    @discardableResult
    package func build(at root: String) throws -> Fixture {
        let f = Fixture(root: root)
        for entry in entries {
            switch entry {
            case let .file(path, contents, mode, mtime): try f.file(path, contents, mode: mode, mtime: mtime)
            case let .data(path, contents, mode, mtime): try f.data(path, contents, mode: mode, mtime: mtime)
            case let .directory(path, mode): try f.directory(path, mode: mode)
            case let .symlink(path, target): try f.symlink(path, to: target)
            case let .hardLink(path, existing): try f.hardLink(path, to: existing)
            }
        }
        return f
    }

    /// The CLI tests' home (`CLIFiles.smallHome`).
    package static let cli = SmallHome([
        .file("workspace/projects/app/main.swift", "print(\"hello\")\n"),
        .file("workspace/projects/app/README.md", String(repeating: "Documentation line.\n", count: 100)),
        .file("workspace/projects/app/run.sh", "#!/bin/sh\necho run\n", mode: 0o755),
        .symlink("workspace/projects/app/link", to: "README.md"),
        .hardLink("workspace/projects/app/README-copy.md", to: "workspace/projects/app/README.md"),
        .directory("workspace/projects/empty"),
        .file(".gitconfig", "[user]\n\tname = Dev\n"),
    ])

    /// The backup tests' home (`BackupFiles.smallHome`).
    package static let backup = SmallHome([
        .file("workspace/projects/app/main.swift", "print(1)\n"),
        .file("workspace/projects/app/README.md", String(repeating: "line\n", count: 100)),
        .file("workspace/config/settings.toml", "a = 1\n"),
        .file(".gitconfig", "[user]\n"),
    ])

    /// The restore tests' home (`RestoreFixtures.smallHome`).
    package static let restore = SmallHome([
        .file("workspace/projects/app/main.swift", "print(\"hello\")\n", mtime: 1_600_000_000),
        .file("workspace/projects/app/README.md", String(repeating: "Read me.\n", count: 50), mtime: 1_600_000_100),
        .data("workspace/projects/app/data.bin", RestoreFixtures.pseudoRandomBytes(count: 64 * 1024), mtime: 1_600_000_200),
        .file("workspace/projects/app/secret.env", "TOKEN=1\n", mode: 0o600, mtime: 1_600_000_300),
        .symlink("workspace/projects/app/link-to-readme", to: "README.md"),
        .hardLink("workspace/projects/app/README-hardlink.md", to: "workspace/projects/app/README.md"),
        .directory("workspace/projects/empty-dir", mode: 0o750),
        .file("workspace/scripts/run.sh", "#!/bin/sh\necho run\n", mode: 0o755, mtime: 1_600_000_400),
        .file(".gitconfig", "[user]\n\tname = Backup\n", mtime: 1_600_000_500),
        .file(".bashrc", "export FROM_BACKUP=1\nalias ll='ls -l'\n", mtime: 1_600_000_600),
        .file(".config/app/config.json", "{\"a\": 1}\n", mtime: 1_600_000_700),
    ])
}
