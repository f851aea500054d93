import Testing

@testable import SindriCodecs

@Suite("GzipStreamDecoder errors")
struct GzipStreamDecoderErrorTests {
    static let input = SampleData.text(count: 200_000)
    static let member: [UInt8] = try! GzipMemberCompressor(level: 6).compressMember(input)

    private func decodeError(_ file: [UInt8], chunkSize: Int = 4_096, strict: Bool = false) -> CodecError? {
        codecError { _ = try decodeGzipStream(file, chunkSize: chunkSize, toleratesTrailingZeros: !strict) }
    }

    @Test("a flipped byte in the deflate data is detected", arguments: [20, 500, 5_000, 20_000])
    func flippedDeflateByte(position: Int) {
        var file = Self.member
        file[position] ^= 0x55
        let error = decodeError(file)
        #expect([.corruptData, .checksumMismatch, .lengthMismatch].contains(error?.kind))
        #expect(error?.library == .zlib)
    }

    @Test("broken stored block lengths are corrupt data")
    func brokenStoredBlock() {
        var file = StoredGzipMember.encode(SampleData.text(count: 1_000))
        file[13] ^= 0x01  // NLEN no longer the complement of LEN
        let error = decodeError(file)
        #expect(error?.kind == .corruptData)
        #expect(error?.returnCode == -3)
        #expect(error?.message == "invalid stored block lengths")
    }

    @Test("a wrong CRC-32 is a checksum mismatch")
    func wrongCRC() {
        var file = Self.member
        file[file.count - 8] ^= 0x01
        #expect(decodeError(file)?.kind == .checksumMismatch)
    }

    @Test("a wrong ISIZE is a length mismatch")
    func wrongISIZE() {
        var file = Self.member
        file[file.count - 4] ^= 0x01
        #expect(decodeError(file)?.kind == .lengthMismatch)
    }

    @Test("input that ends inside a member is truncated", arguments: [1, 2, 5, 10, 11, 1_000, -8, -4, -1])
    func truncated(cut: Int) {
        let file = StoredGzipMember.encode([1, 2, 3]) + Self.member
        let length = cut > 0 ? 26 + cut : file.count + cut
        let error = decodeError(Array(file[..<length]), chunkSize: 1_000)
        #expect(error?.kind == .truncated)
        #expect(error?.byteOffset == length)
    }

    @Test("bytes after the last member that do not start a member are trailing garbage",
        arguments: [[0x41, 0x42], [0x1f, 0x00], [0x00, 0x00, 0x07], [0x1f, 0x8c]] as [[UInt8]])
    func trailingGarbage(suffix: [UInt8]) {
        let error = decodeError(Self.member + suffix)
        #expect(error?.kind == .trailingGarbage)
    }

    @Test("zero padding after the last member is accepted like gzip does, or rejected in strict mode")
    func trailingZeros() throws {
        let padded = Self.member + [UInt8](repeating: 0, count: 512)
        let decoder = try GzipStreamDecoder()
        var output: [UInt8] = []
        try decoder.feed(padded) { output += $0 }
        try decoder.finish()
        #expect(output == Self.input)
        #expect(decoder.trailingZeroBytes == 512)
        #expect(decodeError(padded, strict: true)?.kind == .trailingGarbage)
    }

    @Test("input that is not gzip is rejected at once",
        arguments: [Array("hello world".utf8), [0x78, 0x9c, 0x01], [0x1f, 0x00, 0x00], [0x00]] as [[UInt8]])
    func notGzip(file: [UInt8]) {
        let error = decodeError(file)
        #expect(error?.kind == .notGzip)
        #expect(error?.byteOffset == 0)
    }

    @Test("empty input is reported as empty")
    func empty() {
        #expect(decodeError([])?.kind == .empty)
    }

    @Test("an unknown compression method is a bad header")
    func badHeader() {
        var file = Self.member
        file[2] = 7
        #expect(decodeError(file)?.kind == .badHeader)
    }

    @Test("a spent decoder refuses more input")
    func spent() throws {
        let decoder = try GzipStreamDecoder()
        #expect(codecError { try decoder.feed([0x00]) { _ in } }?.kind == .notGzip)
        #expect(codecError { try decoder.feed(Self.member) { _ in } }?.kind == .invalidState)
        #expect(codecError { try decoder.finish() }?.kind == .invalidState)
    }

    @Test("an error thrown by the output handler stops decoding and reaches the caller")
    func handlerError() throws {
        struct Stop: Error {}
        let decoder = try GzipStreamDecoder()
        #expect(throws: Stop.self) { try decoder.feed(Self.member) { _ in throw Stop() } }
    }

    @Test("output chunk sizes outside 1...256 KiB are rejected", arguments: [0, 256 * 1024 + 1])
    func invalidChunkSize(size: Int) {
        #expect(codecError { _ = try GzipStreamDecoder(outputChunkSize: size) }?.kind == .invalidArgument)
    }
}
