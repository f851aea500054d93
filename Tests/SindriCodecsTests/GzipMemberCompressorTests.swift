import Testing

@testable import SindriCodecs

/// One block of sample data by kind.
enum SampleKind: String, CaseIterable, CustomTestStringConvertible {
    case text, random, empty, singleByte

    func bytes() -> [UInt8] {
        switch self {
        case .text: return SampleData.text(count: 300_000)
        case .random: return SampleData.random(count: 200_000)
        case .empty: return []
        case .singleByte: return [0x42]
        }
    }

    var testDescription: String { rawValue }
}

@Suite("GzipMemberCompressor")
struct GzipMemberCompressorTests {
    @Test("a member round-trips through libdeflate and zlib decoders", arguments: DeflateEngine.allCases, [1, 6, 9])
    func roundTrip(engine: DeflateEngine, level: Int) throws {
        let compressor = try GzipMemberCompressor(level: level, engine: engine)
        let decompressor = try GzipMemberDecompressor()
        for kind in SampleKind.allCases {
            let input = kind.bytes()
            let member = try compressor.compressMember(input)
            #expect(member.count <= compressor.maxMemberSize(inputSize: input.count))
            let viaLibdeflate = try decompressor.decompressMember(member, uncompressedSize: input.count)
            #expect(viaLibdeflate == input, "libdeflate decode of \(kind)")
            let viaZlib = try decodeGzipStream(member, chunkSize: 65_536)
            #expect(viaZlib.output == input, "zlib decode of \(kind)")
            #expect(viaZlib.boundaries.count == 1)
        }
    }

    @Test("text compresses and random data does not grow much", arguments: DeflateEngine.allCases)
    func ratios(engine: DeflateEngine) throws {
        let compressor = try GzipMemberCompressor(level: 6, engine: engine)
        let text = SampleData.text(count: 1 << 20)
        let random = SampleData.random(count: 1 << 20)
        #expect(try compressor.compressMember(text).count < text.count / 3)
        #expect(try compressor.compressMember(random).count < random.count + random.count / 100 + 64)
    }

    @Test("every member starts with the fixed header: MTIME 0, XFL 0, OS 3", arguments: DeflateEngine.allCases, [1, 6, 9])
    func fixedHeader(engine: DeflateEngine, level: Int) throws {
        let compressor = try GzipMemberCompressor(level: level, engine: engine)
        for kind in SampleKind.allCases {
            let member = try compressor.compressMember(kind.bytes())
            #expect(Array(member.prefix(10)) == GzipFormat.fixedHeader, "\(kind)")
        }
        #expect(GzipFormat.fixedHeader == [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
    }

    @Test("the same input gives the same bytes, also from a fresh compressor", arguments: DeflateEngine.allCases)
    func determinism(engine: DeflateEngine) throws {
        let input = SampleData.mixed(count: 700_000)
        let compressor = try GzipMemberCompressor(level: 6, engine: engine)
        let first = try compressor.compressMember(input)
        let second = try compressor.compressMember(input)
        let third = try GzipMemberCompressor(level: 6, engine: engine).compressMember(input)
        #expect(first == second)
        #expect(first == third)
    }

    @Test("the trailer holds the CRC-32 and ISIZE of the input", arguments: DeflateEngine.allCases)
    func trailer(engine: DeflateEngine) throws {
        let input = SampleData.text(count: 123_457)
        let member = try GzipMemberCompressor(engine: engine).compressMember(input)
        let trailer = Array(member.suffix(8))
        let crc = trailer[0..<4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let size = trailer[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(crc == CRC32.checksum(input))
        #expect(size == 123_457)
    }

    @Test("appending keeps earlier bytes and adds exactly one member", arguments: DeflateEngine.allCases)
    func appending(engine: DeflateEngine) throws {
        let compressor = try GzipMemberCompressor(level: 1, engine: engine)
        let input = SampleData.text(count: 50_000)
        var buffer: [UInt8] = [1, 2, 3]
        try input.withUnsafeBytes { try compressor.compressMember($0, appendingTo: &buffer) }
        #expect(Array(buffer.prefix(3)) == [1, 2, 3])
        #expect(Array(buffer.dropFirst(3)) == (try compressor.compressMember(input)))
    }

    @Test("a too small output buffer is reported, not overrun", arguments: DeflateEngine.allCases)
    func outputTooSmall(engine: DeflateEngine) throws {
        let compressor = try GzipMemberCompressor(engine: engine)
        let input = SampleData.random(count: 10_000)
        var output = [UInt8](repeating: 0, count: 5_000)
        let error = codecError {
            _ = try input.withUnsafeBytes { source in
                try output.withUnsafeMutableBytes { try compressor.compressMember(source, into: $0) }
            }
        }
        #expect(error?.kind == .outputTooSmall)
    }

    @Test("the size bound does not shrink after a member was written", arguments: DeflateEngine.allCases)
    func boundIsStable(engine: DeflateEngine) throws {
        let compressor = try GzipMemberCompressor(level: 9, engine: engine)
        let before = compressor.maxMemberSize(inputSize: 1 << 20)
        _ = try compressor.compressMember(SampleData.text(count: 10_000))
        #expect(compressor.maxMemberSize(inputSize: 1 << 20) == before)
        #expect(before >= (1 << 20) + GzipFormat.headerSize + GzipFormat.trailerSize)
        let random = SampleData.random(count: 1 << 20)
        #expect(try compressor.compressMember(random).count <= before)
    }

    @Test("a buffer without a base address compresses to an empty member", arguments: DeflateEngine.allCases)
    func nilBaseAddress(engine: DeflateEngine) throws {
        let member = try GzipMemberCompressor(engine: engine).compressMember(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(try GzipMemberDecompressor().decompressMember(member, uncompressedSize: 0) == [])
        #expect(Array(member.suffix(8)) == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("levels outside 1...9 are rejected", arguments: [0, 10, -1])
    func invalidLevel(level: Int) {
        let error = codecError { _ = try GzipMemberCompressor(level: level) }
        #expect(error?.kind == .invalidArgument)
    }
}
