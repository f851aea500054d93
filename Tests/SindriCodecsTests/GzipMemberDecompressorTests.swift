import Testing

@testable import SindriCodecs

@Suite("GzipMemberDecompressor")
struct GzipMemberDecompressorTests {
    static let input = SampleData.mixed(count: 400_000)
    static let member: [UInt8] = try! GzipMemberCompressor(level: 6, engine: .zlib).compressMember(input)

    @Test("a member decodes into a caller's buffer")
    func intoBuffer() throws {
        let decompressor = try GzipMemberDecompressor()
        var output = [UInt8](repeating: 0, count: Self.input.count)
        try Self.member.withUnsafeBytes { member in
            try output.withUnsafeMutableBytes { try decompressor.decompressMember(member, into: $0) }
        }
        #expect(output == Self.input)
    }

    @Test("a wrong expected size is a size mismatch", arguments: [-1, 1])
    func wrongSize(delta: Int) throws {
        let error = codecError {
            _ = try GzipMemberDecompressor().decompressMember(Self.member, uncompressedSize: Self.input.count + delta)
        }
        #expect(error?.kind == .sizeMismatch)
    }

    @Test("bytes beyond the member's end are a size mismatch")
    func extraBytes() throws {
        let error = codecError {
            _ = try GzipMemberDecompressor().decompressMember(Self.member + [0, 0], uncompressedSize: Self.input.count)
        }
        #expect(error?.kind == .sizeMismatch)
    }

    @Test("a damaged member is corrupt data", arguments: [3, 100, -8, -4])
    func damaged(position: Int) throws {
        var member = Self.member
        member[position >= 0 ? position : member.count + position] ^= 0x10
        let error = codecError {
            _ = try GzipMemberDecompressor().decompressMember(member, uncompressedSize: Self.input.count)
        }
        #expect(error?.kind == .corruptData)
        #expect(error?.library == .libdeflate)
    }

    @Test("a truncated member is rejected", arguments: [1, 4, 8, 100])
    func truncated(missing: Int) throws {
        let error = codecError {
            _ = try GzipMemberDecompressor().decompressMember(
                Array(Self.member.dropLast(missing)), uncompressedSize: Self.input.count)
        }
        // libdeflate reports a cut inside the trailer as "insufficient space" (it reads past the end as zeros).
        #expect([.corruptData, .sizeMismatch].contains(error?.kind))
    }
}

