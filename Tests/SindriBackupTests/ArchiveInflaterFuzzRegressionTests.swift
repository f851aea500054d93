import Foundation
import SindriCodecs
import SindriSystem
import Testing
@testable import SindriBackup

/// Inputs the fuzz target `FuzzVerify` (Fuzz/) found, reduced to what made them fail.
@Suite("archive inflater: fuzzer finds")
struct ArchiveInflaterFuzzRegressionTests {
    /// Our manifest member (stored deflate blocks) whose gzip trailer declares `isize` bytes.
    static func storedMember(payload: [UInt8], isize: UInt32) -> [UInt8] {
        var member = StoredGzipMember.encode(payload)
        for index in 0..<4 { member[member.count - 4 + index] = UInt8(truncatingIfNeeded: isize >> (8 * UInt32(index))) }
        return member
    }

    /// The first member's ISIZE was taken as its decoded size and allocated as such: 3.7 GB for
    /// a 1.5 KiB member (libFuzzer: out-of-memory, malloc(3688929259)). The decoded size of a
    /// stored member is the sum of its blocks.
    @Test func storedMemberSizeComesFromItsBlocksNotItsTrailer() {
        let payload = [UInt8](repeating: 0x20, count: 1536)
        let member = Self.storedMember(payload: payload, isize: 3_688_929_227)
        let framing = member.withUnsafeBytes { GzipMemberReader.storedMember($0) }
        #expect(framing == .member(length: member.count, uncompressed: payload.count))
    }

    /// The same archive through `verify`: refused as damaged (exit 4), not a crash.
    @Test func verifyRefusesAManifestMemberWithAFalseSize() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-inflater-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let archive = folder.appendingPathComponent("false-size.tar.gz").path
        let member = Self.storedMember(payload: [UInt8](repeating: 0x20, count: 1536), isize: 3_688_929_227)
        #expect(FileManager.default.createFile(atPath: archive, contents: Data(member)))
        do {
            _ = try await RestoreManager().verify(archive: archive)
            Issue.record("verify accepted a member whose trailer lies about its size")
        } catch let error as SindriError {
            #expect(error.code == .archiveCorrupt)
            #expect(error.message.contains("corrupt data in gzip member 1"))
        }
    }
}
