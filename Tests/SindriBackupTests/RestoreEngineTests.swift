import Crypto
import Foundation
@testable import SindriBackup
@testable import SindriSystem
import SindriJournal
import SindriArchive
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder with a small home and its backup, removed when the test ends.
private final class RestoreFixture {
    let root: String
    let source: String
    let archive: String

    /// Files of the backed-up home: enough to span several gzip members and staging batches.
    static let files: [String: [UInt8]] = {
        var files: [String: [UInt8]] = [
            "notes.txt": Array("hello\n".utf8),
            "projects/app/main.swift": Array("print(1)\n".utf8),
            "projects/app/data.bin": (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) },
        ]
        for index in 0..<300 { files["many/file-\(index).txt"] = Array("content \(index)\n".utf8) }
        return files
    }()

    init() async throws {
        var template = Array((NSTemporaryDirectory() + "/sindri-engine.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw SindriError(.io, "mkdtemp failed") }
        root = String(cString: made)
        source = root + "/source"
        archive = root + "/backup.tar.gz"
        for (path, bytes) in Self.files { try Self.write(bytes, to: source + "/" + path) }
        _ = try await ArchiveBuilder(ArchiveConfig(profile: .full)).create(home: source, output: .file(archive))
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A new empty home below the fixture's folder, opened.
    func makeHome(_ name: String) throws -> (path: String, descriptor: Int32) {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return (path, try ArchiveBuilder.openHome(path))
    }

    /// Every regular file under `path` (except the tool's state), by relative path.
    static func contents(of path: String) throws -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasPrefix(TOOL_STATE_DIRECTORY) { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                found[relative] = Array(try Data(contentsOf: URL(fileURLWithPath: path + "/" + relative)))
            }
        }
        return found
    }

    /// Stage 1 on the fixture's archive, staging into `staging` when given.
    func scan(staging: StagingArea?) async throws -> ScannedArchive {
        let source = try FileByteSource(path: archive)
        return try await withTaskExecutorPreference(BlockingExecutor.shared) {
            try await ArchiveScanner(staging: staging, availableBytes: nil, force: true).scan(source)
        }
    }
}

@Suite("restore engine in process: scanner, planner, applier, recovery")
struct RestoreEngineTests {
    @Test("the scanner reads every member, hashes each file and checks the archive checksum")
    func scannerHashes() async throws {
        let fixture = try await RestoreFixture()
        let scanned = try await fixture.scan(staging: nil)
        #expect(scanned.report.archiveChecksumVerified)
        #expect(scanned.report.regularFiles == RestoreFixture.files.count)
        #expect(scanned.report.checkedChecksums == RestoreFixture.files.count)
        for member in scanned.members where member.kind == .regular {
            let expected = try #require(RestoreFixture.files[String(decoding: member.path, as: UTF8.self)])
            #expect(member.digest == Array(SHA256.hash(data: expected)))
            #expect(member.stagingName == nil, "verify must not stage")
        }
    }

    @Test("the scanner names a damaged data member and stops its workers")
    func scannerRefusesDamage() async throws {
        let fixture = try await RestoreFixture()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture.archive)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: fixture.archive))
        let error = await #expect(throws: SindriError.self) { _ = try await fixture.scan(staging: nil) }
        #expect(error?.code == .archiveCorrupt || error?.code == .verificationFailed)
    }

    @Test("the planner decides per path against the home: identical skipped, differing kept (safe), missing created")
    func plannerDecides() async throws {
        let fixture = try await RestoreFixture()
        let home = try fixture.makeHome("home")
        defer { close(home.descriptor) }
        try RestoreFixture.write(Array("hello\n".utf8), to: home.path + "/notes.txt")           // identical
        try RestoreFixture.write(Array("mine\n".utf8), to: home.path + "/projects/app/main.swift")  // differs
        let scanned = try await fixture.scan(staging: nil)
        let batches = try await RestorePlanner(homeDescriptor: home.descriptor, mode: .safe, only: try RestorePathSelection([])).plan(scanned)
        #expect(batches.allSatisfy { $0.count <= RestorePlanner.batchSize })
        let actions = Dictionary(batches.joined().map { (String(decoding: $0.planned.path, as: UTF8.self), $0.planned.action) },
                                 uniquingKeysWith: { first, _ in first })
        #expect(actions["notes.txt"] == .skipIdentical)
        #expect(actions["projects/app/main.swift"] == .skipExists)
        #expect(actions["projects/app/data.bin"] == .create)
        #expect(actions["many/file-7.txt"] == .create)
    }

    /// Stages 1-4 in process; `commit` false leaves the transaction open, as a crash would.
    private func apply(_ fixture: RestoreFixture, home: (path: String, descriptor: Int32), mode: RestoreMode,
                       identifier: String, commit: Bool) async throws -> (RestoreApplier, StagingArea) {
        let staging = try StagingArea(homeDescriptor: home.descriptor, identifier: identifier)
        let scanned = try await fixture.scan(staging: staging)
        let batches = try await RestorePlanner(homeDescriptor: home.descriptor, mode: mode, only: try RestorePathSelection([])).plan(scanned)
        let applier = try RestoreApplier(home: home.descriptor, identifier: identifier, staging: staging, archive: scanned, label: "test")
        try await applier.begin(JournalHeader(transactionID: identifier, createdAt: 0, mode: mode.rawValue, archive: fixture.archive, snapshotName: "none"))
        for batch in batches { _ = try await applier.apply(batch) }
        try await applier.finish()
        if commit { try await applier.commit() }
        return (applier, staging)
    }

    @Test("the applier restores every file byte for byte and commits")
    func applierRestores() async throws {
        let fixture = try await RestoreFixture()
        let home = try fixture.makeHome("home")
        defer { close(home.descriptor) }
        let (applier, staging) = try await apply(fixture, home: home, mode: .safe, identifier: "20260101T000000-000001", commit: true)
        #expect(await applier.written >= RestoreFixture.files.count)
        staging.remove()
        #expect(try RestoreFixture.contents(of: home.path) == RestoreFixture.files)
    }

    @Test("a failure while applying rolls back through the applier: the home is exactly as before")
    func applierRollsBack() async throws {
        let fixture = try await RestoreFixture()
        let home = try fixture.makeHome("home")
        defer { close(home.descriptor) }
        let before: [String: [UInt8]] = ["notes.txt": Array("mine\n".utf8), "projects/app/main.swift": Array("mine too\n".utf8)]
        for (path, bytes) in before { try RestoreFixture.write(bytes, to: home.path + "/" + path) }
        let identifier = "20260101T000000-000002"
        let staging = try StagingArea(homeDescriptor: home.descriptor, identifier: identifier)
        let scanned = try await fixture.scan(staging: staging)
        let batches = try await RestorePlanner(homeDescriptor: home.descriptor, mode: .full, only: try RestorePathSelection([])).plan(scanned)
        #expect(batches.count > 1, "the failure must come after a whole batch was applied")
        let applier = try RestoreApplier(home: home.descriptor, identifier: identifier, staging: staging, archive: scanned, label: "test")
        await applier.injectFailures(afterSteps: RestorePlanner.batchSize + 20, undos: nil)
        try await applier.begin(JournalHeader(transactionID: identifier, createdAt: 0, mode: "full", archive: fixture.archive, snapshotName: "none"))
        await #expect(throws: SindriError.self) {
            for batch in batches { _ = try await applier.apply(batch) }
        }
        #expect(try RestoreFixture.contents(of: home.path) != before, "some steps were applied")
        let outcome = try await applier.rollBack(reason: "test")
        #expect(outcome == .rolledBack)
        staging.remove()
        #expect(try RestoreFixture.contents(of: home.path) == before)
    }

    @Test("recovery rolls back a transaction left open by a crash, from its journal alone")
    func recoveryRollsBack() async throws {
        let fixture = try await RestoreFixture()
        let home = try fixture.makeHome("home")
        defer { close(home.descriptor) }
        try RestoreFixture.write(Array("mine\n".utf8), to: home.path + "/notes.txt")
        let before = try RestoreFixture.contents(of: home.path)
        // Applied but never committed: the process "died" before stage 5.
        _ = try await apply(fixture, home: home, mode: .full, identifier: "20260101T000000-000003", commit: false)
        #expect(try RestoreFixture.contents(of: home.path) != before)
        let note = try await BlockingExecutor.shared.run { try RestoreRecovery.recoverUnfinished(home: home.descriptor) }
        #expect(note != nil)
        #expect(try RestoreFixture.contents(of: home.path) == before)
        // Nothing is left to recover the second time.
        #expect(try RestoreRecovery.recoverUnfinished(home: home.descriptor) == nil)
    }
}
