import Foundation
import Testing

@testable import SindriCodecs

@Suite("StoredGzipMember")
struct StoredGzipMemberTests {
    @Test(
        "encodedSize is exact and gzip -dc reads the member",
        arguments: [0, 1, 65_534, 65_535, 65_536, 131_070, 131_071, 200_000])
    func sizeAndInterop(payloadSize: Int) throws {
        let payload = SampleData.random(count: payloadSize, seed: UInt64(payloadSize))
        let member = StoredGzipMember.encode(payload)
        #expect(member.count == StoredGzipMember.encodedSize(payloadSize: payloadSize))
        #expect(Array(member.prefix(10)) == GzipFormat.fixedHeader)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write(member, to: "stored.gz")
        let result = try runTool("gzip", ["-dc", file.path], in: directory)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == payload)
        #expect(try decodeGzipStream(member, chunkSize: 7_000).output == payload)
        #expect(try GzipMemberDecompressor().decompressMember(member, uncompressedSize: payloadSize) == payload)
    }

    @Test("the size depends only on the payload size")
    func sizeFormula() {
        #expect(StoredGzipMember.encodedSize(payloadSize: 0) == 10 + 5 + 8)
        #expect(StoredGzipMember.encodedSize(payloadSize: 65_535) == 10 + 5 + 65_535 + 8)
        #expect(StoredGzipMember.encodedSize(payloadSize: 65_536) == 10 + 10 + 65_536 + 8)
        let zeros = StoredGzipMember.encode([UInt8](repeating: 0, count: 70_000))
        let noise = StoredGzipMember.encode(SampleData.random(count: 70_000))
        #expect(zeros.count == noise.count)
    }

    @Test("an empty payload is one final empty stored block")
    func emptyLayout() {
        let member = StoredGzipMember.encode([])
        #expect(Array(member.dropFirst(10)) == [0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("only the last block has BFINAL set, and LEN/NLEN are complements")
    func blockHeaders() {
        let member = StoredGzipMember.encode(SampleData.text(count: 140_000))
        var position = 10
        var finals: [Bool] = []
        var total = 0
        while finals.last != true {
            let length = Int(member[position + 1]) | Int(member[position + 2]) << 8
            let complement = Int(member[position + 3]) | Int(member[position + 4]) << 8
            #expect(length ^ complement == 0xffff)
            finals.append(member[position] == 0x01)
            total += length
            position += 5 + length
        }
        #expect(finals == [false, false, true])
        #expect(total == 140_000)
        #expect(position + 8 == member.count)
    }
}
