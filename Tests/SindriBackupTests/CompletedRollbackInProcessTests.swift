import Foundation
import SindriArchive
import SindriJournal
import SindriSystem
import Testing
@testable import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// `RestoreRecovery.rollback` and `CompletedRollback` driven in-process, on a real temporary home:
/// a backup and a restore made with the library, then the calls `sindri rollback` makes, without
/// the binary in between, so a failure points at the engine rather than at the CLI.
@Suite(.serialized) struct CompletedRollbackInProcessTests {
    /// A source home (the restore fixture), its archive, and a target home holding older versions
    /// of two of its files plus one file of the user's the archive does not have.
    struct Scene {
        let temp: TemporaryDirectory
        let archive: String
        let home: String

        init(_ label: String) async throws {
            temp = try TemporaryDirectory(label)
            let source = temp.sub("source")
            try SmallHome.restore.build(at: source)
            archive = temp.path + "/b.tar.gz"
            _ = try await ArchiveBuilder(ArchiveConfig(profile: .full)).create(source, archive)
            home = temp.sub("home")
            let f = Fixture(root: home)
            try f.file("workspace/projects/app/main.swift", "old main\n", mtime: 1_500_000_000)
            try f.file(".bashrc", "export OLD=1\n", mode: 0o600, mtime: 1_500_000_100)
            try f.file("notes.txt", "the user's own\n", mtime: 1_500_000_200)
        }

        /// A full restore of the archive into the home, as `sindri restore --mode full` runs it.
        func restore() async throws -> RestoreResult {
            try await RestoreManager(mode: .full).restore(
                archive: archive, home: home, options: RestoreOptions(mode: .full, interactive: false))
        }

        /// `RestoreRecovery.rollback` on the engine's thread, as `RollbackManager` calls it.
        func rollback(dryRun: Bool) async throws -> RollbackReport {
            let home = self.home
            return try await BlockingExecutor.shared.run {
                let fd = try ArchiveBuilder.openHome(home)
                defer { close(fd) }
                return try RestoreRecovery.rollback(
                    home: fd, identifier: nil, dryRun: dryRun, interruptible: false, confirm: nil, progress: nil)
            }
        }

        /// The home without the tool's own state (journal, snapshot), which a restore adds on purpose.
        func snapshot() throws -> HomeSnapshot {
            try HomeSnapshot.take(home, excluding: [TOOL_STATE_DIRECTORY]).withoutRoot
        }

        func read(_ relative: String) -> String? {
            FileManager.default.contents(atPath: home + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    @Test("a rollback of an untouched restore gives back exactly the home before it; the dry run before it changes nothing")
    func rollbackRestoresTheHomeExactly() async throws {
        let scene = try await Scene("rb-inproc")
        let before = try scene.snapshot()
        _ = try await scene.restore()
        #expect(scene.read("workspace/projects/app/main.swift") == "print(\"hello\")\n")
        #expect(scene.read(".bashrc") == "export FROM_BACKUP=1\nalias ll='ls -l'\n")
        let restored = try scene.snapshot()

        let preview = try await scene.rollback(dryRun: true)
        #expect(preview.dryRun)
        #expect(preview.undone.contains("workspace/projects/app/data.bin"), "\(preview.undone)")
        #expect(preview.restored.contains("workspace/projects/app/main.swift"), "\(preview.restored)")
        #expect(preview.restored.contains(".bashrc"), "\(preview.restored)")
        #expect(preview.kept.isEmpty)
        let afterPreview = try scene.snapshot()
        #expect(afterPreview == restored, "\(afterPreview.differences(from: restored))")

        let report = try await scene.rollback(dryRun: false)
        #expect(!report.dryRun)
        #expect(report.kept.isEmpty && report.left.isEmpty, "\(report.message)")
        #expect(Set(report.restored) == Set(preview.restored))
        let after = try scene.snapshot()
        #expect(after.paths == before.paths, "\(after.differences(from: before))")
        // An original extracted from the snapshot is a new inode; everything else must match.
        func withoutInode(_ entry: String?) -> [Substring]? {
            entry.map { fields in fields.split(separator: " ").enumerated().filter { $0.offset != 3 }.map(\.element) }
        }
        for path in ["workspace/projects/app/main.swift", ".bashrc", "notes.txt"] {
            #expect(withoutInode(after.entries[path]) == withoutInode(before.entries[path]), "\(path): \(after.differences(from: before))")
        }

        // The journal now says the restore is rolled back: a second rollback has nothing to do.
        let again = try await scene.rollback(dryRun: false)
        #expect(again.note?.contains("nothing to roll back") == true, "\(again.message)")
        #expect(try scene.snapshot() == after)
    }

    @Test("an entry edited after the restore is kept aside, never deleted, and the original comes back")
    func editedEntryIsKept() async throws {
        let scene = try await Scene("rb-inproc-edit")
        let result = try await scene.restore()
        let edited = scene.home + "/workspace/projects/app/main.swift"
        try Data("print(\"edited after the restore\")\n".utf8).write(to: URL(fileURLWithPath: edited))

        let report = try await scene.rollback(dryRun: false)
        #expect(report.kept.map(\.path) == ["workspace/projects/app/main.swift"], "\(report.message)")
        let keptAs = try #require(report.kept.first?.keptAs)
        #expect(keptAs.hasSuffix(".sindri-kept-\(report.transactionID)"), "\(keptAs)")
        #expect(scene.read(keptAs) == "print(\"edited after the restore\")\n")
        #expect(scene.read("workspace/projects/app/main.swift") == "old main\n")
        #expect(scene.read(".bashrc") == "export OLD=1\n")
        #expect(!report.transactionID.isEmpty)
        _ = result
    }
}

/// The housekeeping side of `RestoreRecovery`, on a real temporary home.
@Suite struct RestoreRecoveryInProcessTests {
    @Test("leftovers of a run killed before its journal began are removed; a journal-less txn directory counts as one interrupted restore")
    func removeOrphans() async throws {
        let temp = try TemporaryDirectory("recovery-orphans")
        let home = temp.sub("home")
        let f = Fixture(root: home)
        try f.file("\(TOOL_STATE_DIRECTORY)/txn-20261203T000000-000001/staged", "half staged\n")
        try f.file("\(RestoreSnapshot.directory)/.snapshot-x.tmp", "half written\n")
        try f.file("\(RestoreSnapshot.directory)/snapshot-kept.tar.gz", "a real snapshot\n")
        let removed = try await BlockingExecutor.shared.run {
            let fd = try ArchiveBuilder.openHome(home)
            defer { close(fd) }
            return RestoreRecovery.removeOrphans(home: fd)
        }
        #expect(removed == 1)
        #expect(lstatOf(home + "/\(TOOL_STATE_DIRECTORY)/txn-20261203T000000-000001") == nil)
        #expect(lstatOf(home + "/\(RestoreSnapshot.directory)/.snapshot-x.tmp") == nil)
        #expect(lstatOf(home + "/\(RestoreSnapshot.directory)/snapshot-kept.tar.gz") != nil, "a snapshot that is not a leftover stays")
    }

    @Test("a home nothing was restored into: nothing to roll back, nothing busy, nothing written")
    func nothingToRollBack() async throws {
        let temp = try TemporaryDirectory("recovery-empty")
        let home = temp.sub("home")
        try Fixture(root: home).file("a.txt", "a\n")
        let before = try HomeSnapshot.take(home)
        let (report, busy) = try await BlockingExecutor.shared.run {
            let fd = try ArchiveBuilder.openHome(home)
            defer { close(fd) }
            let report = try RestoreRecovery.rollback(home: fd, identifier: nil, dryRun: true, interruptible: false, confirm: nil, progress: nil)
            return (report, RestoreRecovery.isBusy(home: fd))
        }
        #expect(report.note?.contains("nothing to roll back") == true, "\(report.message)")
        #expect(!busy)
        #expect(try HomeSnapshot.take(home) == before)
    }

    @Test("recorded attributes are set back without following a symlink; an absent path is left alone")
    func restoreAttributes() async throws {
        let temp = try TemporaryDirectory("recovery-attrs")
        let home = temp.sub("home")
        let f = Fixture(root: home)
        try f.file("dir/file", "x\n", mode: 0o600, mtime: 1_700_000_000)
        try f.file("target", "t\n", mode: 0o644, mtime: 1_700_000_000)
        try f.symlink("dir/link", to: "../target")
        let wanted = FileAttributes(mode: 0o640, uid: getuid(), gid: getgid(), mtimeSeconds: 1_234_567_890, mtimeNanoseconds: 5)
        try await BlockingExecutor.shared.run {
            let fd = try ArchiveBuilder.openHome(home)
            defer { close(fd) }
            try RestoreRecovery.restoreAttributes(wanted, at: Array("dir/file".utf8), home: fd)
            try RestoreRecovery.restoreAttributes(wanted, at: Array("dir/link".utf8), home: fd)
            try RestoreRecovery.restoreAttributes(wanted, at: Array("dir/absent".utf8), home: fd)
        }
        let file = try #require(lstatOf(home + "/dir/file"))
        #expect(file.st_mode & 0o7777 == 0o640)
        #expect(file.st_mtim.tv_sec == 1_234_567_890 && file.st_mtim.tv_nsec == 5)
        let target = try #require(lstatOf(home + "/target"))
        #expect(target.st_mode & 0o7777 == 0o644, "the link's target is not touched")
        #expect(target.st_mtim.tv_sec == 1_700_000_000)
        #expect(lstatOf(home + "/dir/absent") == nil)
    }
}
