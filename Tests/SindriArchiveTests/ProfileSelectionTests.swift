import Foundation
import Testing
import SindriArchive

/// One row of a profile table. A path written with a trailing "/" is a directory.
struct ProfileRow: Sendable, CustomTestStringConvertible {
    let path: String
    let expected: SelectionVerdict

    var bytes: [UInt8] { Array(path.utf8.dropLast(isDirectory ? 1 : 0)) }
    var isDirectory: Bool { path.hasSuffix("/") }
    var testDescription: String { "\(path) → \(expected)" }
}

private func row(_ path: String, _ expected: SelectionVerdict) -> ProfileRow {
    ProfileRow(path: path, expected: expected)
}

private let include = SelectionVerdict.include
private let traverse = SelectionVerdict.traverse
private func excluded(_ reason: String) -> SelectionVerdict { .exclude(reason: reason) }
private let marker = SelectionVerdict.exclude(reason: "system marker")
private let toolState = SelectionVerdict.exclude(reason: "tool state .sindri")

/// Paths every profile treats alike: the always-excluded list inside an included project, and `.sindri`.
private let alwaysExcludedInProjects: [ProfileRow] = [
    row("workspace/projects/app/node_modules/", excluded("**/node_modules/**")),
    row("workspace/projects/app/node_modules/x/index.js", excluded("**/node_modules/**")),
    row("workspace/projects/app/.venv/", excluded("**/.venv/**")),
    row("workspace/projects/app/.venv/bin/python", excluded("**/.venv/**")),
    row("workspace/projects/app/src/__pycache__/", excluded("**/__pycache__/**")),
    row("workspace/projects/rs/target/", include),
    row("workspace/projects/rs/target/debug/", excluded("**/target/debug/**")),
    row("workspace/projects/rs/target/release/", excluded("**/target/release/**")),
    row("workspace/projects/rs/target/release/app", excluded("**/target/release/**")),
    row("workspace/projects/rs/target/doc/", include),
    row("workspace/projects/web/.next/", excluded("**/.next/**")),
    row("workspace/projects/jvm/.gradle/", excluded("**/.gradle/**")),
    row("workspace/projects/web/.turbo/", excluded("**/.turbo/**")),
    row("workspace/projects/web/dist/", excluded("**/dist")),
    row("workspace/projects/web/build/", excluded("**/build")),
    // A file called build or dist is user data, not build output.
    row("workspace/projects/web/build", include),
    row("workspace/scripts/build", include),
    row("workspace/projects/web/dist", include),
    row("workspace/projects/app/.cache/", include),  // ".cache/**" is anchored at the home
    row("workspace/projects/app/src/main.swift", include),
    row("workspace/projects/app/.env", include),
    row(".sindri/", toolState),
    row(".sindri/restore-snapshots/snapshot-1.tar.gz", toolState),
    row("", traverse),
]

private let userDataRows: [ProfileRow] = alwaysExcludedInProjects + [
    // The specification's "Includes" table.
    row("workspace/projects/", include),
    row("workspace/config/", include),
    row("workspace/config/settings.json", include),
    row("workspace/scripts/", include),
    row("workspace/scripts/deploy.sh", include),
    row("workspace/bin/", include),
    row("workspace/bin/tool", include),
    row(".claude/", include),
    row(".claude/settings.json", include),
    row(".ssh/host_keys/", include),
    row(".ssh/host_keys/ssh_host_ed25519_key", include),
    row(".gitconfig", include),
    // Directories on the way to an include root.
    row("workspace/", traverse),
    row(".ssh/", traverse),
    // The specification's "Excludes" list.
    row(".initialized", marker),
    row(".welcome_shown", marker),
    row("workspace/.system/bootstrap.yaml", marker),
    row("workspace/.system/installed/", marker),
    row("workspace/.system/installed/nodejs", marker),
    row("workspace/.system/install-status", marker),
    row("workspace/.system/", excluded("not in profile user-data")),
    row("workspace/.system/logs/", excluded("not in profile user-data")),
    row(".local/share/mise/installs/", excluded("not in profile user-data")),
    row(".cache/", excluded("not in profile user-data")),
    row(".cache/pip/", excluded("not in profile user-data")),
    row(".bashrc", excluded("not in profile user-data")),
    row(".profile", excluded("not in profile user-data")),
    row(".config/", excluded("not in profile user-data")),
    row(".local/", excluded("not in profile user-data")),
    row(".local/bin/", excluded("not in profile user-data")),
    row(".ssh/authorized_keys", excluded("not in profile user-data")),
    // Names that only look like roots.
    row("workspace", excluded("not in profile user-data")),  // a file cannot be traversed
    row("workspacex/", excluded("not in profile user-data")),
    row("workspace/projectsx/", excluded("not in profile user-data")),
    row(".gitconfig.bak", excluded("not in profile user-data")),
    row("workspace/other/", excluded("not in profile user-data")),
]

private let standardRows: [ProfileRow] = alwaysExcludedInProjects + [
    // Everything of user-data ...
    row("workspace/projects/", include),
    row("workspace/config/", include),
    row("workspace/scripts/deploy.sh", include),
    row("workspace/bin/", include),
    row(".claude/", include),
    row(".ssh/host_keys/", include),
    row(".gitconfig", include),
    row("workspace/", traverse),
    row(".ssh/", traverse),
    // ... plus the specification's table.
    row(".bashrc", include),
    row(".profile", include),
    row(".config/", include),
    row(".config/gh/hosts.yml", include),
    row(".config/mise/conf.d/node.toml", include),
    row(".local/bin/", include),
    row(".local/bin/tool", include),
    row(".local/", traverse),
    // The specification's "Excludes" list.
    row(".config/mise/shims/", excluded(".config/mise/shims")),
    row(".config/mise/shim", include),
    row(".local/share/", excluded("not in profile standard")),
    row(".local/share/mise/", excluded("not in profile standard")),
    row(".local/state/", excluded("not in profile standard")),
    row(".cache/", excluded("not in profile standard")),
    row(".initialized", marker),
    row(".welcome_shown", marker),
    row("workspace/.system/bootstrap.yaml", marker),
    row("workspace/.system/installed/", marker),
    row("workspace/.system/install-status", marker),
    row("workspace/.system/", excluded("not in profile standard")),
    row(".ssh/authorized_keys", excluded("not in profile standard")),
    row(".bash_history", excluded("not in profile standard")),
]

private let fullRows: [ProfileRow] = alwaysExcludedInProjects + [
    // Everything not always excluded, system markers included.
    row(".initialized", include),
    row(".welcome_shown", include),
    row("workspace/", include),
    row("workspace/.system/", include),
    row("workspace/.system/bootstrap.yaml", include),
    row("workspace/.system/installed/", include),
    row("workspace/.system/install-status", include),
    row("workspace/.system/manifest/", include),
    row(".ssh/authorized_keys", include),
    row(".bash_history", include),
    row(".config/mise/shims/", include),
    row(".local/", include),
    row(".local/share/mise/", include),
    row("notes.txt", include),
    // The specification's "Excludes only" list, directory and content.
    row(".cache/", excluded(".cache/**")),
    row(".cache/pip/", excluded(".cache/**")),
    row(".cache/pip/wheel.whl", excluded(".cache/**")),
    row(".local/share/mise/installs/", excluded(".local/share/mise/installs/**")),
    row(".local/share/mise/installs/node/22/bin/node", excluded(".local/share/mise/installs/**")),
    row(".local/state/", excluded(".local/state/**")),
    row(".local/state/mise/", excluded(".local/state/**")),
    row(".local/state/mise/x", excluded(".local/state/**")),
    row("workspace/.system/logs/", excluded("workspace/.system/logs/**")),
    row("workspace/.system/logs/install.log", excluded("workspace/.system/logs/**")),
    row("node_modules/", excluded("**/node_modules/**")),
    row("dist/", excluded("**/dist")),
    row(".cache", include),  // a file, not the cache directory
]

@Suite("backup profiles decide include, traverse or exclude")
struct ProfileSelectionTests {
    @Test(arguments: userDataRows)
    func userData(_ row: ProfileRow) {
        let selection = BackupSelection(profile: .userData)
        #expect(selection.verdict(for: row.bytes, isDirectory: row.isDirectory) == row.expected)
    }

    @Test(arguments: standardRows)
    func standard(_ row: ProfileRow) {
        let selection = BackupSelection(profile: .standard)
        #expect(selection.verdict(for: row.bytes, isDirectory: row.isDirectory) == row.expected)
    }

    @Test(arguments: fullRows)
    func full(_ row: ProfileRow) {
        let selection = BackupSelection(profile: .full)
        #expect(selection.verdict(for: row.bytes, isDirectory: row.isDirectory) == row.expected)
    }

    @Test(arguments: [
        // An excluded ancestor decides for everything below it.
        (BackupProfile.full, "workspace/projects/web/dist/main.js", excluded("**/dist")),
        (.full, ".cache/pip/http/x", excluded(".cache/**")),
        (.userData, ".cache/pip/x", excluded("not in profile user-data")),
        (.userData, ".local/bin/tool", excluded("not in profile user-data")),
        (.userData, "workspace/.system/installed/nodejs/v1", excluded("not in profile user-data")),
        (.standard, ".welcome_shown", marker),
        (.standard, ".config/mise/shims/node", excluded(".config/mise/shims")),
        (.standard, "workspace/projects/app/node_modules/a/b/c.js", excluded("**/node_modules/**")),
        (.full, ".sindri/journal/1", toolState),
        // Otherwise the path's own verdict.
        (.userData, "workspace/projects/app/src/main.swift", include),
        (.standard, ".local/bin/tool", include),
        (.full, "workspace/.system/installed/nodejs", include),
    ])
    func effectiveVerdictLooksAtAncestors(_ profile: BackupProfile, _ path: String, _ expected: SelectionVerdict) {
        let selection = BackupSelection(profile: profile)
        #expect(selection.effectiveVerdict(for: Array(path.utf8), isDirectory: false) == expected)
    }

    @Test func userExcludesAddToTheBuiltInOnes() throws {
        let selection = try BackupSelection(profile: .userData, excludePatterns: ["*.iso", "workspace/projects/secret/"])
        #expect(selection.verdict(for: Array("workspace/projects/disk.iso".utf8), isDirectory: false)
            == excluded("*.iso"))
        #expect(selection.verdict(for: Array("workspace/projects/secret".utf8), isDirectory: true)
            == excluded("workspace/projects/secret/"))
        #expect(selection.verdict(for: Array("workspace/projects/secret".utf8), isDirectory: false) == include)
        #expect(selection.userRules.patterns.count == 2)
    }

    @Test func userExcludesCanRemoveATraversedDirectory() throws {
        let selection = try BackupSelection(profile: .userData, excludePatterns: ["/workspace/"])
        #expect(selection.verdict(for: Array("workspace".utf8), isDirectory: true) == excluded("/workspace/"))
        #expect(selection.verdict(for: Array(".ssh".utf8), isDirectory: true) == traverse)
    }

    @Test func userNegationReincludesWhatTheBuiltInListExcludes() throws {
        let selection = try BackupSelection(profile: .full, excludePatterns: ["!**/dist/", "!/.cache/", "!.cache/**"])
        #expect(selection.verdict(for: Array("workspace/projects/web/dist".utf8), isDirectory: true) == include)
        #expect(selection.verdict(for: Array(".cache".utf8), isDirectory: true) == include)
        #expect(selection.verdict(for: Array(".cache/pip".utf8), isDirectory: true) == include)
        #expect(selection.verdict(for: Array("x/node_modules".utf8), isDirectory: true)
            == excluded("**/node_modules/**"))
    }

    @Test func userNegationCannotWidenAProfileOrExposeProtectedPaths() throws {
        let selection = try BackupSelection(
            profile: .userData, excludePatterns: ["!.bashrc", "!.initialized", "!.sindri", "!.sindri/**"])
        #expect(selection.verdict(for: Array(".bashrc".utf8), isDirectory: false)
            == excluded("not in profile user-data"))
        #expect(selection.verdict(for: Array(".initialized".utf8), isDirectory: false) == marker)
        #expect(selection.verdict(for: Array(".sindri".utf8), isDirectory: true) == toolState)
        let full = try BackupSelection(profile: .full, excludePatterns: ["!.sindri", "!.sindri/**"])
        #expect(full.verdict(for: Array(".sindri/x".utf8), isDirectory: false) == toolState)
    }

    @Test func badUserPatternIsReportedWithItsPosition() {
        #expect(throws: PatternError(kind: .unterminatedCharacterClass, line: "[x", lineNumber: 2)) {
            try BackupSelection(profile: .standard, excludePatterns: ["*.tmp", "[x"])
        }
    }

    @Test func verdictsSayWhatTheWalkerDoes() {
        #expect(SelectionVerdict.include.archivesEntry && SelectionVerdict.include.descends)
        #expect(SelectionVerdict.traverse.archivesEntry && SelectionVerdict.traverse.descends)
        #expect(!excluded("x").archivesEntry && !excluded("x").descends)
        #expect(excluded("**/dist").description == "exclude (**/dist)")
    }
}
