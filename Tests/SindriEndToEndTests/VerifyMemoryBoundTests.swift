import Foundation
import SindriBackup
import Testing

/// What an archive's headers declare must not choose our memory: block members may declare up
/// to 64 MiB each, and before the bound the inflater held a whole batch of them (4 per core) twice.
@Suite("memory bound of reading archives whose members declare 64 MiB (end to end)")
struct VerifyMemoryBoundTests {
    @Test("verify of 16 members of 64 MiB each peaks under 256 MiB, accepts the archive, and refuses a damaged copy")
    func largeDeclaredMembers() async throws {
        let temp = try TemporaryDirectory("inflate-bound")
        let home = temp.sub("home")
        // A sparse file of zeros: 1 GiB of tar content that compresses to ~1 MB.
        let made = try Shell.run(["truncate", "-s", "1G", home + "/zeros.bin"])
        try #require(made.status == 0, "\(made.stderr)")
        var config = try ArchiveConfig(profile: .full).withCompressionLevel(1)
        config.blockSize = 64 << 20   // the largest member the format allows
        config.workers = 1            // keeps this test process's own memory modest
        let archive = temp.path + "/big-members.tar.gz"
        _ = try await ArchiveBuilder(config).create(home: home, output: .file(archive))
        let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int ?? 0
        #expect(size < 8 << 20, "the archive itself is small: \(size) bytes")

        let verified = try MeasuredRun.sindri(["verify", archive], home: temp.path, timeoutSeconds: 300)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.maxResidentKiB <= 256 * 1024, "verify peaked at \(verified.maxResidentKiB / 1024) MiB")

        // The same archive with one byte of a 64 MiB member changed: refused (4), still bounded.
        let damaged = temp.path + "/damaged.tar.gz"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        bytes[bytes.count / 2] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let refused = try MeasuredRun.sindri(["verify", damaged], home: temp.path, timeoutSeconds: 300)
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.maxResidentKiB <= 256 * 1024, "verify of the damaged copy peaked at \(refused.maxResidentKiB / 1024) MiB")
    }
}
