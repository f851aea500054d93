import Foundation
import Testing

@testable import SindriCodecs

/// An archive laid out like Sindri's: a stored manifest member, then one compressed member per block.
struct SampleArchive {
    var file: [UInt8] = []
    var uncompressed: [UInt8] = []
    var boundaries: [GzipMemberBoundary] = []

    init(manifestSize: Int, body: [UInt8], blockSize: Int, engine: DeflateEngine, level: Int) throws {
        let manifest = SampleData.text(count: manifestSize, seed: 99)
        append(member: StoredGzipMember.encode(manifest), decoded: manifest)
        let compressor = try GzipMemberCompressor(level: level, engine: engine)
        var start = 0
        while start < body.count {
            let block = Array(body[start..<min(start + blockSize, body.count)])
            append(member: try compressor.compressMember(block), decoded: block)
            start += blockSize
        }
    }

    private mutating func append(member: [UInt8], decoded: [UInt8]) {
        boundaries.append(
            GzipMemberBoundary(
                compressedOffset: file.count, compressedLength: member.count,
                uncompressedOffset: uncompressed.count, uncompressedLength: decoded.count))
        file += member
        uncompressed += decoded
    }
}

@Suite("Multi-member gzip archives")
struct MultiMemberArchiveTests {
    @Test("gzip -t, gzip -dc, pigz and Python read a stored member followed by compressed members",
        arguments: DeflateEngine.allCases)
    func interop(engine: DeflateEngine) throws {
        let archive = try SampleArchive(
            manifestSize: 70_000, body: SampleData.mixed(count: 3_000_000), blockSize: 1 << 20, engine: engine,
            level: 6)
        #expect(archive.boundaries.count == 4)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write(archive.file, to: "archive.gz")

        let test = try runTool("gzip", ["-t", file.path], in: directory)
        #expect(test.status == 0, "\(test.standardError)")
        let gzip = try runTool("gzip", ["-dc", file.path], in: directory)
        #expect(gzip.status == 0, "\(gzip.standardError)")
        #expect(gzip.standardOutput == archive.uncompressed)
        let pigz = try runTool("pigz", ["-dc", file.path], in: directory)
        #expect(pigz.status == 0, "\(pigz.standardError)")
        #expect(pigz.standardOutput == archive.uncompressed)
        let python = try runTool(
            "python3",
            ["-c", "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1],'rb').read()))", file.path],
            in: directory)
        #expect(python.status == 0, "\(python.standardError)")
        #expect(python.standardOutput == archive.uncompressed)
    }

    @Test("GNU tar, bsdtar and Python tarfile list a tar stream cut into blocks and compressed per block")
    func tarInterop() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tree = directory.file("tree")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        var names: [String] = []
        for index in 0..<12 {
            let name = "file-\(index).txt"
            names.append(name)
            _ = try directory.write(SampleData.mixed(count: 40_000 * index + 1, seed: UInt64(index)), to: "tree/\(name)")
        }
        let tar = try runTool("tar", ["-cf", "-", "-C", tree.path, "--sort=name"] + names, in: directory)
        #expect(tar.status == 0, "\(tar.standardError)")
        let compressor = try GzipMemberCompressor(level: 6)
        var archive: [UInt8] = []
        var start = 0
        while start < tar.standardOutput.count {
            let end = min(start + 100_000, tar.standardOutput.count)
            try tar.standardOutput[start..<end].withUnsafeBytes { try compressor.compressMember($0, appendingTo: &archive) }
            start = end
        }
        let file = try directory.write(archive, to: "backup.tar.gz")
        let expected = names.joined(separator: "\n") + "\n"
        for lister in [["tar", "-tzf"], ["bsdtar", "-tzf"]] {
            let listing = try runTool(lister[0], [lister[1], file.path], in: directory)
            #expect(listing.status == 0, "\(lister[0]): \(listing.standardError)")
            #expect(String(decoding: listing.standardOutput, as: UTF8.self) == expected, "\(lister[0])")
        }
        let python = try runTool(
            "python3",
            ["-c", "import tarfile,sys; t=tarfile.open(sys.argv[1],'r:gz'); print('\\n'.join(t.getnames())); "
                + "[t.extractfile(m).read() for m in t.getmembers()]", file.path],
            in: directory)
        #expect(python.status == 0, "\(python.standardError)")
        #expect(String(decoding: python.standardOutput, as: UTF8.self) == expected)
    }

    @Test("GzipStreamDecoder reproduces the input and the member boundaries for any chunking",
        arguments: [1, 13, 4_096, 1 << 20])
    func streamingChunks(chunkSize: Int) throws {
        let archive = try SampleArchive(
            manifestSize: 66_000, body: SampleData.mixed(count: 600_000), blockSize: 128 * 1024, engine: .libdeflate,
            level: 6)
        let decoded = try decodeGzipStream(archive.file, chunkSize: chunkSize)
        #expect(decoded.output == archive.uncompressed)
        #expect(decoded.boundaries == archive.boundaries)
        #expect(decoded.largestPiece <= GzipStreamDecoder.maximumOutputChunkSize)
    }

    @Test("output comes in pieces no larger than the requested chunk size")
    func boundedPieces() throws {
        let archive = try SampleArchive(
            manifestSize: 1_000, body: SampleData.text(count: 2_000_000), blockSize: 1 << 20, engine: .zlib, level: 9)
        let decoded = try decodeGzipStream(archive.file, chunkSize: 1 << 20, outputChunkSize: 10_000)
        #expect(decoded.output == archive.uncompressed)
        #expect(decoded.largestPiece == 10_000)
    }

    @Test("each member decompresses on its own from the boundary index")
    func independentMembers() throws {
        let archive = try SampleArchive(
            manifestSize: 5_000, body: SampleData.mixed(count: 1_500_000), blockSize: 256 * 1024, engine: .zlib,
            level: 1)
        let decompressor = try GzipMemberDecompressor()
        var joined: [UInt8] = []
        for boundary in archive.boundaries.reversed() {
            let member = Array(
                archive.file[boundary.compressedOffset..<boundary.compressedOffset + boundary.compressedLength])
            joined = try decompressor.decompressMember(member, uncompressedSize: boundary.uncompressedLength) + joined
        }
        #expect(joined == archive.uncompressed)
    }

    @Test("the decoder counts members, bytes and the last boundary")
    func counters() throws {
        let archive = try SampleArchive(
            manifestSize: 10, body: SampleData.text(count: 300_000), blockSize: 100_000, engine: .libdeflate, level: 6)
        let decoder = try GzipStreamDecoder()
        var produced = 0
        try decoder.feed(archive.file) { produced += $0.count }
        try decoder.finish()
        #expect(decoder.membersCompleted == 4)
        #expect(decoder.compressedBytesConsumed == archive.file.count)
        #expect(decoder.uncompressedBytesProduced == 300_010)
        #expect(produced == 300_010)
        #expect(decoder.lastMemberBoundary == archive.boundaries.last)
    }

    @Test("a member written by gzip with a file name and mtime is decoded too")
    func foreignHeaders() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = SampleData.text(count: 100_000)
        let source = try directory.write(input, to: "named.txt")
        let result = try runTool("gzip", ["-c", "-N", source.path], in: directory)
        #expect(result.status == 0)
        #expect(result.standardOutput[3] & 0x08 != 0, "FNAME flag expected")
        let twice = result.standardOutput + result.standardOutput
        #expect(try decodeGzipStream(twice, chunkSize: 3).output == input + input)
        #expect(
            try GzipMemberDecompressor().decompressMember(result.standardOutput, uncompressedSize: input.count) == input)
    }
}
