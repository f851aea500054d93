import Foundation
import Testing

/// `sindri verify ARCHIVE|-` runs every check restore runs, writes nothing, exits 0 only when the
/// archive is intact, and says on stderr what it checked.
@Suite("verify (end to end)")
struct VerifyTests {
    static func realArchive(_ box: RestoreSandbox) throws -> String {
        let source = box.temp.sub("source")
        _ = try RestoreFixtures.smallHome(at: source)
        return try box.backup(of: source)
    }

    @Test("a good archive verifies (0), says what it checked, and nothing is written anywhere")
    func goodArchive() throws {
        let box = try RestoreSandbox("verify-good")
        let archive = try Self.realArchive(box)
        let before = try box.fullSnapshot()
        let result = try box.verify(archive)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        // The report is verify's answer: on standard output.
        #expect(!result.stdoutText.isEmpty, "verify should say what it checked")
        #expect(result.stdoutText.lowercased().contains("checksum"), "the report should mention the checksums: \(result.stdoutText)")
        let after = try box.fullSnapshot()
        #expect(after == before, "verify wrote: \(after.differences(from: before))")
    }

    @Test("a good archive verifies from standard input with -")
    func goodArchiveFromStandardInput() throws {
        let box = try RestoreSandbox("verify-stdin")
        let archive = try Self.realArchive(box)
        let before = try box.fullSnapshot()
        let result = try box.verify("-", stdin: try Data(contentsOf: URL(fileURLWithPath: archive)))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!result.stdoutText.isEmpty)
        #expect(try box.fullSnapshot() == before)
    }

    @Test("each damaged archive fails verification (4) and verify writes nothing", arguments: ArchiveDamage.allCases)
    func damagedArchive(damage: ArchiveDamage) throws {
        let box = try RestoreSandbox("verify-damaged")
        let archive = try Self.realArchive(box)
        let damaged = box.file("damaged.tar.gz")
        try damage.make(from: archive, at: damaged)
        let before = try box.fullSnapshot()
        let result = try box.verify(damaged)
        #expect(result.status == 4, "\(damage): status \(result.status), stderr: \(result.stderr)")
        #expect(!result.stderr.isEmpty)
        let after = try box.fullSnapshot()
        #expect(after == before, "verify wrote: \(after.differences(from: before))")
    }

    @Test("damaged archives on standard input fail verification (4)", arguments: [
        ArchiveDamage.empty, .truncatedAtMemberBoundary, .flippedContentByteNoArchiveChecksum, .alteredChecksumLine,
    ])
    func damagedArchiveFromStandardInput(damage: ArchiveDamage) throws {
        let box = try RestoreSandbox("verify-damaged-stdin")
        let archive = try Self.realArchive(box)
        let damaged = box.file("damaged.tar.gz")
        try damage.make(from: archive, at: damaged)
        let result = try box.verify("-", stdin: try Data(contentsOf: URL(fileURLWithPath: damaged)))
        #expect(result.status == 4, "\(damage): status \(result.status), stderr: \(result.stderr)")
    }

    @Test("rewrites that keep the archive valid still verify", arguments: ArchiveDamage.Control.allCases)
    func validRewriteVerifies(control: ArchiveDamage.Control) throws {
        let box = try RestoreSandbox("verify-control")
        let archive = try Self.realArchive(box)
        let rewritten = box.file("rewritten.tar.gz")
        try control.make(from: archive, at: rewritten)
        let result = try box.verify(rewritten)
        #expect(result.status == 0, "\(control): \(result.stderr)")
    }
}
