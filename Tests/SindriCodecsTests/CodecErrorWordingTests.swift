import Testing

@testable import SindriCodecs

/// What a user reads for a damaged gzip file: the place (member and byte), never a type or
/// library name, and the same place however the file was fed.
@Suite("codec error wording")
struct CodecErrorWordingTests {
    static let first: [UInt8] = try! GzipMemberCompressor(level: 6).compressMember(SampleData.text(count: 50_000))
    static let second: [UInt8] = try! GzipMemberCompressor(level: 6).compressMember(SampleData.text(count: 80_000, seed: 9))

    @Test("a cut in the second member names member 2 and where it starts", arguments: [10, 100, 1_000])
    func truncatedSecondMember(into: Int) throws {
        let file = Self.first + Self.second.prefix(into)
        let error = try #require(codecError { _ = try decodeGzipStream(file, chunkSize: 777) })
        #expect(error.kind == .truncated)
        #expect(error.member == 2 && error.memberOffset == Self.first.count)
        #expect(error.description == "truncated after \(file.count) bytes: the input ends inside gzip member 2, which starts at byte \(Self.first.count)")
    }

    @Test("errors seen by a decoder that started mid-file are moved back to the file's numbering")
    func shifted() throws {
        let file = Array(Self.second.prefix(500))
        let error = try #require(codecError { _ = try decodeGzipStream(file, chunkSize: 4096) })
        let moved = error.shifted(members: 3, bytes: 10_000)
        #expect(moved.description == "truncated after 10500 bytes: the input ends inside gzip member 4, which starts at byte 10000")
    }

    @Test("no type, library or kind names in what users read")
    func plain() throws {
        var flipped = Self.first
        flipped[200] ^= 0x55
        let cases: [[UInt8]] = [Array("hello, not gzip".utf8), flipped, Self.first + Array("junk".utf8)]
        for file in cases {
            let error = try #require(codecError { _ = try decodeGzipStream(file, chunkSize: 4096, toleratesTrailingZeros: false) })
            for leak in ["GzipStreamDecoder", "zlib", "libdeflate", "[", "feed", "inflate"] {
                #expect(!error.description.contains(leak), "\(error.description)")
            }
        }
        #expect(try #require(codecError { _ = try decodeGzipStream(Array("hello".utf8), chunkSize: 4096) }).description == "not a gzip file")
    }
}
