import Foundation
import Testing
@testable import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// The S3 base reader finds the trailer from the end of the object, by the lengths the blocks
/// record, at the same offset a local reader reaches by hopping forward over every data block;
/// it asks only for windows of the end, never for the data before them.
@Suite("S3 base reader: the trailer found from the end")
struct S3BaseArchiveReaderTests {
    /// A home of `files` small files (6,000 make a trailer of several blocks) and one
    /// incompressible file of `randomMiB` blocks, backed up.
    static func archive(files: Int, randomMiB: Int) async throws -> (directory: String, archive: String) {
        let root = NSTemporaryDirectory() + "sindri-s3base-\(UUID().uuidString.prefix(8))"
        let home = root + "/home"
        try FileManager.default.createDirectory(atPath: home + "/work", withIntermediateDirectories: true)
        for index in 0..<files {
            FileManager.default.createFile(atPath: home + "/work/f\(index).txt", contents: Data("file \(index)\n".utf8))
        }
        var generator = SystemRandomNumberGenerator()
        var random = [UInt8](repeating: 0, count: randomMiB << 20)
        random.withUnsafeMutableBytes { raw in
            for index in stride(from: 0, to: raw.count, by: 8) { raw.storeBytes(of: generator.next() as UInt64, toByteOffset: index, as: UInt64.self) }
        }
        FileManager.default.createFile(atPath: home + "/work/random.bin", contents: Data(random))
        let archive = root + "/a.tar.gz"
        _ = try await ArchiveBuilder(ArchiveConfig(profile: .full)).create(home, archive)
        return (root, archive)
    }

    @Test("the trailer's start is where the forward hop finds it; only the end is fetched", arguments: [(3, 0), (3, 5), (6000, 1)])
    func sameOffsetAsForward(files: Int, randomMiB: Int) async throws {
        let (root, path) = try await Self.archive(files: files, randomMiB: randomMiB)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let fd = try ArchiveFileReader(path: path, keys: nil)
        let (_, manifestEnd) = try #require(try BaseArchiveReader.head(fd))
        let forward = try #require(try BaseArchiveReader.trailerOffset(fd, from: manifestEnd))
        var lowest = UInt64(bytes.count)
        let backward = try S3BaseArchiveReader.trailerStart({ range in
            lowest = min(lowest, range.lowerBound)
            return Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)])
        }, size: UInt64(bytes.count), lowerBound: UInt64(manifestEnd))
        #expect(backward == UInt64(forward))
        // With data before the trailer larger than a search window, that data is not fetched.
        if forward - manifestEnd > Int(S3BaseArchiveReader.searchWindow) {
            #expect(lowest >= UInt64(forward) - S3BaseArchiveReader.searchWindow, "fetched from \(lowest), trailer at \(forward)")
        }
        // And the index read from there is the one the local reader reads.
        let index = try #require(try BaseArchiveReader.readTrailerIndex(fd, from: forward, path: path))
        #expect(index.contains { String(decoding: $0.path, as: UTF8.self) == "work/random.bin" })
    }

    @Test("bytes that do not end in our blocks give no trailer (the caller reads the archive whole)")
    func notOurs() throws {
        let bytes = [UInt8](repeating: 0x1F, count: 100_000)
        let found = try S3BaseArchiveReader.trailerStart({ Array(bytes[Int($0.lowerBound)..<Int($0.upperBound)]) }, size: UInt64(bytes.count), lowerBound: 10)
        #expect(found == nil)
    }
}
