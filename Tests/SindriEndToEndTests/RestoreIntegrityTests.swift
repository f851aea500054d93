import Foundation
import Testing

/// Stage 1: the whole archive is checked before anything in the home changes. Every damaged
/// variant of a real `sindri backup` archive is refused with exit 4 and leaves the home exactly
/// as it was, even in full mode with --force into a home whose files all differ.
@Suite("restore integrity checks (end to end)")
struct RestoreIntegrityTests {
    /// A real archive of the small fixture, and a home holding different versions of some of its
    /// files plus files of its own, so that any premature write shows in the snapshot.
    static func prepare(_ box: RestoreSandbox) throws -> String {
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        let home = Fixture(root: box.home)
        try home.file("workspace/projects/app/main.swift", "print(\"the current version\")\n", mtime: 1_650_000_000)
        try home.file(".gitconfig", "[user]\n\tname = Current\n", mtime: 1_650_000_000)
        try home.file(".bashrc", "export CURRENT=1\n", mtime: 1_650_000_000)
        try home.file("unrelated.txt", "mine\n", mtime: 1_650_000_000)
        return archive
    }

    @Test("a damaged archive is refused with exit 4 and the home stays exactly as it was", arguments: ArchiveDamage.allCases)
    func damagedArchiveIsRefused(damage: ArchiveDamage) throws {
        let box = try RestoreSandbox("damaged")
        let archive = try Self.prepare(box)
        let damaged = box.file("damaged.tar.gz")
        try damage.make(from: archive, at: damaged)
        let homeBefore = try box.homeSnapshot()
        let outsideBefore = try box.outsideSnapshot()

        let result = try box.restore(damaged, mode: "full", ["--force"])
        #expect(result.status == 4, "\(damage): status \(result.status), stderr: \(result.stderr)")
        #expect(!result.stderr.isEmpty, "a refusal must say why")
        let homeAfter = try box.homeSnapshot()
        #expect(homeAfter == homeBefore, "\(damage) changed the home: \(homeAfter.differences(from: homeBefore))")
        #expect(!box.exists(".sindri"), "\(damage): a snapshot was taken before the archive was checked")
        let outsideAfter = try box.outsideSnapshot()
        #expect(outsideAfter == outsideBefore, "\(outsideAfter.differences(from: outsideBefore))")
    }

    @Test("a damaged archive on standard input is refused the same way", arguments: [
        ArchiveDamage.truncatedInTheMiddle, .garbageAppended, .flippedContentByteNoArchiveChecksum, .noManifest,
    ])
    func damagedArchiveFromStandardInput(damage: ArchiveDamage) throws {
        let box = try RestoreSandbox("damaged-stdin")
        let archive = try Self.prepare(box)
        let damaged = box.file("damaged.tar.gz")
        try damage.make(from: archive, at: damaged)
        let homeBefore = try box.homeSnapshot()
        let result = try box.restore("-", mode: "full", ["--force"], stdin: try Data(contentsOf: URL(fileURLWithPath: damaged)))
        #expect(result.status == 4, "\(damage): status \(result.status), stderr: \(result.stderr)")
        let homeAfter = try box.homeSnapshot()
        #expect(homeAfter == homeBefore, "\(homeAfter.differences(from: homeBefore))")
    }

    @Test("controls: rewrites that keep the archive valid still restore", arguments: ArchiveDamage.Control.allCases)
    func validRewriteRestores(control: ArchiveDamage.Control) throws {
        let box = try RestoreSandbox("control")
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        let archive = try box.backup(of: source)
        let rewritten = box.file("rewritten.tar.gz")
        try control.make(from: archive, at: rewritten)
        let result = try box.restore(rewritten)
        #expect(result.status == 0, "\(control): \(result.stderr)")
        #expect(box.read("workspace/projects/app/main.swift") == "print(\"hello\")\n")
        #expect(FileManager.default.contents(atPath: box.home + "/workspace/projects/app/data.bin")
            == RestoreFixtures.pseudoRandomBytes(count: 64 * 1024))
    }

    @Test("hand-made archives without a usable manifest are refused with exit 4", arguments: [
        "no manifest", "manifest after the data", "manifest is not JSON", "manifest is a JSON array", "empty tar",
    ])
    func malformedManifest(variant: String) throws {
        let box = try RestoreSandbox("manifest")
        let files: [TarMemberSpec] = [.file("notes.txt", "notes\n"), .file("workspace/a.txt", "a\n")]
        var spec = ArchiveSpec(files)
        switch variant {
        case "no manifest": spec.manifest = nil
        case "manifest after the data": spec.manifestLast = true
        case "manifest is not JSON": spec.manifestText = "version: 1.1.0\n"
        case "manifest is a JSON array": spec.manifestText = "[1, 2, 3]\n"
        default: spec = ArchiveSpec(manifest: nil, checksums: false, [])
        }
        let archive = box.file("forged.tar.gz")
        try spec.write(to: archive)
        let before = try box.homeSnapshot()
        let result = try box.restore(archive)
        #expect(result.status == 4, "\(variant): status \(result.status), stderr: \(result.stderr)")
        #expect(try box.homeSnapshot() == before)
    }

    @Test("an archive bigger than the free space is refused before anything is written",
          .enabled(if: TmpfsMount.isAvailable, "needs root to mount a 1 MiB tmpfs"))
    func notEnoughRoom() throws {
        let box = try RestoreSandbox("no-room")
        let mountPoint = box.temp.sub("small")
        #expect(try TmpfsMount.mount(mountPoint, size: "1m"))
        defer { TmpfsMount.unmount(mountPoint) }
        let home = mountPoint + "/home"
        try Fixture(root: home).file("existing.txt", "present\n")
        let archive = box.file("big.tar.gz")
        try ArchiveSpec([
            .file("small-first.txt", "written first by a streaming restore\n"),
            .data("big.bin", Data(count: 4 * 1024 * 1024)),
        ]).write(to: archive)
        let before = try HomeSnapshot.take(home)
        let result = try Sindri.run(["restore", archive, "--home", home, "--no-interactive"], environment: ["HOME": box.envHome], cwd: box.envHome)
        #expect(result.status == 1, "not enough space is exit 1 (the archive may be sound), not a verification failure: status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.lowercased().contains("space") || result.stderr.lowercased().contains("room"),
                "the message should say there is not enough space: \(result.stderr)")
        let after = try HomeSnapshot.take(home)
        #expect(after == before, "\(after.differences(from: before))")
    }
}
