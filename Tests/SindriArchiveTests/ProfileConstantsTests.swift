import Foundation
import Testing
import SindriArchive

@Suite("the specified constants and profile names")
struct ProfileConstantsTests {
    @Test func alwaysExcludeIsTheGuidesListInOrder() {
        #expect(ALWAYS_EXCLUDE == [
            ".cache/**", ".local/share/mise/installs/**", ".local/state/mise/**", ".local/state/**",
            "workspace/.system/logs/**", "**/node_modules/**", "**/.venv/**", "**/__pycache__/**",
            "**/target/debug/**", "**/target/release/**", "**/.next/**", "**/.gradle/**", "**/.turbo/**",
            "**/dist", "**/build",
        ])
        for entry in ALWAYS_EXCLUDE {
            #expect(throws: Never.self) { try IgnorePattern(entry) }
        }
    }

    @Test func neverRestoreListsTheSystemMarkers() {
        #expect(NEVER_RESTORE == [
            ".initialized", ".welcome_shown", "workspace/.system/bootstrap.yaml", "workspace/.system/installed",
            "workspace/.system/install-status",
        ])
        #expect(TOOL_STATE_DIRECTORY == ".sindri")
    }

    @Test(arguments: [
        (".initialized", true),
        (".welcome_shown", true),
        ("workspace/.system/bootstrap.yaml", true),
        ("workspace/.system/installed", true),
        ("workspace/.system/installed/nodejs", true),
        ("workspace/.system/installed/nodejs/version", true),
        ("workspace/.system/install-status", true),
        (".initialized.bak", false),
        ("x/.initialized", false),
        ("workspace/.system/installedx", false),
        ("workspace/.system/bootstrap.yaml.orig", false),
        ("workspace/.system", false),
        ("workspace/.system/manifest", false),
        ("", false),
    ])
    func systemMarkers(_ path: String, _ expected: Bool) {
        #expect(isSystemMarker(Array(path.utf8)) == expected)
    }

    @Test(arguments: [(".sindri", true), (".sindri/restore-snapshots/a", true), (".sindrix", false), ("a/.sindri", false)])
    func toolState(_ path: String, _ expected: Bool) {
        #expect(isToolState(Array(path.utf8)) == expected)
    }

    @Test func profileNamesAreTheCommandLineNames() throws {
        #expect(BackupProfile.allCases.map(\.rawValue) == ["user-data", "standard", "full"])
        #expect(BackupProfile(rawValue: "user-data") == .userData)
        #expect(BackupProfile.default == .standard)
        let encoded = try JSONEncoder().encode([BackupProfile.userData])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["user-data"]"#)
        #expect(try JSONDecoder().decode([BackupProfile].self, from: Data(#"["full"]"#.utf8)) == [.full])
    }

    @Test func profilesNestAsTheGuideSays() throws {
        let userData = try #require(BackupProfile.userData.includeRoots)
        let standard = try #require(BackupProfile.standard.includeRoots)
        #expect(Set(userData).isSubset(of: Set(standard)))
        #expect(Set(standard).subtracting(userData) == [".bashrc", ".profile", ".config", ".local/bin"])
        #expect(BackupProfile.full.includeRoots == nil)
        #expect(BackupProfile.full.archivesSystemMarkers)
        #expect(!BackupProfile.standard.archivesSystemMarkers)
        #expect(!BackupProfile.userData.archivesSystemMarkers)
    }
}
