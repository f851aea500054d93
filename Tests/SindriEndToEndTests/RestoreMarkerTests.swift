import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The system markers (`.initialized`, `.welcome_shown`, `workspace/.system/bootstrap.yaml`,
/// `workspace/.system/installed/`, `workspace/.system/install-status`) and `.sindri/` are never
/// written from an archive: in no mode, not with --force, not by another spelling of the name,
/// not through a hard link or a symlinked directory.
@Suite("restore never writes system markers (end to end)")
struct RestoreMarkerTests {
    @Test("a full-profile backup restored into an empty home leaves every marker out", arguments: [
        ("safe", false), ("merge", false), ("full", false), ("safe", true), ("merge", true), ("full", true),
    ])
    func fullProfileBackupSkipsMarkers(mode: String, force: Bool) throws {
        let box = try RestoreSandbox("markers")
        let source = box.temp.sub("source")
        _ = try Fixture.guideHome(at: source)
        let archive = try box.backup(of: source, profile: "full")
        let result = try box.restore(archive, mode: mode, force ? ["--force"] : [])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for marker in RestoreFixtures.markers {
            #expect(!box.exists(marker), "\(mode) force=\(force) restored \(marker)")
        }
        #expect(box.read("workspace/.system/manifest/ext.yaml") == "ext: 1\n", "a non-marker file under .system was not restored")
        #expect(box.read("notes.txt") == "loose file at the top\n")
    }

    @Test("markers already in the home are left exactly as they are, even by full mode with --force", arguments: ["merge", "full"])
    func existingMarkersUntouched(mode: String) throws {
        let box = try RestoreSandbox("markers-existing")
        let source = box.temp.sub("source")
        _ = try Fixture.guideHome(at: source)
        let archive = try box.backup(of: source, profile: "full")
        let home = Fixture(root: box.home)
        try home.file(".initialized", "current instance\n", mtime: 1_650_000_000)
        try home.file(".welcome_shown", "current\n", mtime: 1_650_000_000)
        try home.file("workspace/.system/bootstrap.yaml", "installed: false\n", mtime: 1_650_000_000)
        try home.file("workspace/.system/installed/python", "version: 3\n", mtime: 1_650_000_000)
        try home.file("workspace/.system/install-status", "running\n", mtime: 1_650_000_000)
        let before = try HomeSnapshot.take(box.home)
        let result = try box.restore(archive, mode: mode, ["--force"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let after = try HomeSnapshot.take(box.home)
        for (path, entry) in before.entries where path != "." && path != "workspace" && path != "workspace/.system" {
            #expect(after.entries[path] == entry, "\(mode) touched marker \(path)")
        }
        #expect(!box.exists("workspace/.system/installed/nodejs"))
        #expect(Self.backupCopies(of: RestoreFixtures.markers, in: box.home).isEmpty)
    }

    static func backupCopies(of markers: [String], in home: String) -> [String] {
        markers.flatMap { [$0 + ".bak", $0 + ".bak.1"] }.filter { lstatOf(home + "/" + $0) != nil }
    }

    /// Archives that reach a marker or `.sindri/` by another route.
    enum MarkerRoute: String, CaseIterable, Sendable, CustomStringConvertible {
        case dotSlashPrefix
        case doubleSlash
        case dotComponent
        case nestedUnderInstalled
        case installedAsSymlink
        case hardLinkNamedAsMarker
        case hardLinkToArchivedMarker
        case symlinkedDirectoryThenMember
        case sindriStateFile
        case sindriSnapshotFile

        var description: String { rawValue }

        var members: [TarMemberSpec] {
            switch self {
            case .dotSlashPrefix:
                return [.file("./.initialized", "from archive\n"), .file("./.welcome_shown", "from archive\n")]
            case .doubleSlash:
                return [.directory("workspace/"), .file("workspace//.system/install-status", "done\n")]
            case .dotComponent:
                return [.directory("workspace/"), .file("workspace/./.system/bootstrap.yaml", "installed: true\n")]
            case .nestedUnderInstalled:
                return [.directory("workspace/.system/installed/"), .file("workspace/.system/installed/nodejs", "v\n")]
            case .installedAsSymlink:
                return [.directory("workspace/.system/"), .symlink("workspace/.system/installed", to: "../../notes")]
            case .hardLinkNamedAsMarker:
                return [.file("notes.txt", "notes\n"), .hardLink(".initialized", to: "notes.txt"),
                        .hardLink("workspace/.system/install-status", to: "notes.txt")]
            case .hardLinkToArchivedMarker:
                return [.file(".initialized", "from archive\n"), .hardLink("alias", to: ".initialized")]
            case .symlinkedDirectoryThenMember:
                return [.directory("workspace/.system/"), .symlink("sys", to: "workspace/.system"),
                        .file("sys/bootstrap.yaml", "installed: true\n")]
            case .sindriStateFile:
                return [.file(".sindri/evil", "state\n")]
            case .sindriSnapshotFile:
                return [.directory(".sindri/"), .directory(".sindri/restore-snapshots/"),
                        .file(".sindri/restore-snapshots/snapshot-evil.tar.gz", "not a snapshot\n")]
            }
        }
    }

    @Test("a marker reached by another route is never written", arguments: MarkerRoute.allCases)
    func markerByAnotherRoute(route: MarkerRoute) throws {
        let box = try RestoreSandbox("marker-route")
        try Fixture(root: box.home).directory("workspace/.system")
        let archive = box.file("route.tar.gz")
        try ArchiveSpec(route.members).write(to: archive)
        let outsideBefore = try box.outsideSnapshot()
        let result = try box.restore(archive, mode: "full", ["--force"])
        #expect([0, 3, 4].contains(result.status), "\(route): status \(result.status), stderr: \(result.stderr)")
        for marker in RestoreFixtures.markers {
            #expect(!box.exists(marker), "\(route) wrote \(marker)")
        }
        #expect(!box.exists(".sindri/evil") && !box.exists(".sindri/restore-snapshots/snapshot-evil.tar.gz"))
        #expect(try box.outsideSnapshot() == outsideBefore)
    }

    @Test("a hard link member to a marker never links to, nor writes, the marker already in the home")
    func hardLinkToExistingMarker() throws {
        let box = try RestoreSandbox("marker-hardlink")
        try Fixture(root: box.home).file(".initialized", "current instance\n", mtime: 1_650_000_000)
        let archive = box.file("hardlink.tar.gz")
        try ArchiveSpec([
            .file(".initialized", "from archive\n"),
            .hardLink("alias", to: ".initialized"),
        ]).write(to: archive)
        let before = try HomeSnapshot.take(box.home)
        let result = try box.restore(archive, mode: "full", ["--force"])
        #expect([0, 3, 4].contains(result.status), "status \(result.status), stderr: \(result.stderr)")
        let after = try HomeSnapshot.take(box.home)
        #expect(after.entries[".initialized"] == before.entries[".initialized"])
        let marker = lstatOf(box.home + "/.initialized")
        let alias = lstatOf(box.home + "/alias")
        #expect(marker?.st_nlink == 1, "something was hard-linked to the marker")
        if let alias, let marker { #expect(alias.st_ino != marker.st_ino) }
    }

    @Test("a dry run lists archived markers as `protected marker`")
    func dryRunShowsProtectedMarkers() throws {
        let box = try RestoreSandbox("marker-dry")
        let source = box.temp.sub("source")
        _ = try Fixture.guideHome(at: source)
        let archive = try box.backup(of: source, profile: "full")
        let result = try box.restore(archive, mode: "full", ["--dry-run", "--force"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let plan = DryRunPlan(result, home: box.home)
        for marker in [".initialized", ".welcome_shown", "workspace/.system/bootstrap.yaml",
                       "workspace/.system/installed/nodejs", "workspace/.system/install-status"] {
            #expect(plan[marker] == "protected marker", "\(marker): \(plan[marker] ?? "not listed")")
        }
        #expect(plan["notes.txt"] == "create")
    }
}
