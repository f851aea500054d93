import Foundation
import Testing

/// The same tree gives the same bytes: only member 0 (the manifest, which records the time, the
/// duration and the archive's own size) may differ between two backups.
@Suite("backup determinism (end to end)")
struct BackupDeterminismTests {
    @Test("two backups of an unchanged tree are byte-identical after the manifest member")
    func sameTreeSameBytes() throws {
        let temp = try TemporaryDirectory("determinism")
        let home = temp.sub("home")
        let f = try Fixture.guideHome(at: home)
        // Enough data for several 1 MiB blocks, so that block order and parallel compression show.
        var bytes = [UInt8](repeating: 0, count: 3_500_000)
        var state: UInt32 = 12345
        for index in bytes.indices {
            state = state &* 1_103_515_245 &+ 12345
            bytes[index] = index % 3 == 0 ? UInt8(truncatingIfNeeded: state >> 24) : UInt8(ascii: "a") + UInt8(index % 26)
        }
        try f.data("workspace/projects/app/data.bin", Data(bytes))
        for index in 0..<40 {
            try f.file("workspace/projects/many/file-\(index).txt", String(repeating: "row \(index)\n", count: index * 50))
        }

        let first = temp.path + "/first.tar.gz"
        let second = temp.sub("elsewhere") + "/second.tar.gz"
        #expect(try Sindri.run(["backup", "--home", home, "-o", first, "-p", "full"]).status == 0)
        #expect(try Sindri.run(["backup", "--home", home, "-o", second, "-p", "full"]).status == 0)

        let a = try #require(BackupFiles.bytes(first))
        let b = try #require(BackupFiles.bytes(second))
        let start = try ArchiveReport.inspect(first).manifestMemberEnd
        #expect(try ArchiveReport.inspect(second).manifestMemberEnd == start, "the manifest member has a fixed size")
        #expect(a.count == b.count)
        #expect(a.count > 1_000_000, "the archive spans several blocks")
        #expect(a.dropFirst(start) == b.dropFirst(start), "bytes after member 0 differ")

        let listA = try gnuTarList(first)
        let listB = try gnuTarList(second)
        #expect(listA.status == 0 && listB.status == 0)
        #expect(listA.names == listB.names)
    }
}
