import Foundation
import Testing

@testable import SindriCodecs

@Suite("LZ4 frames")
struct LZ4FrameTests {
    /// Encodes `input` fed in `chunkSize` pieces into one frame.
    private func encode(
        _ input: [UInt8], chunkSize: Int = 100_000, blockSize: LZ4FrameEncoder.BlockSize = .max4MiB
    ) throws -> [UInt8] {
        let encoder = try LZ4FrameEncoder(blockSize: blockSize)
        var frame: [UInt8] = []
        try input.withUnsafeBytes { bytes in
            var position = 0
            while position < bytes.count {
                let end = min(position + chunkSize, bytes.count)
                try encoder.write(UnsafeRawBufferPointer(rebasing: bytes[position..<end]), appendingTo: &frame)
                position = end
            }
        }
        try encoder.finish(appendingTo: &frame)
        return frame
    }

    /// Decodes `frame` fed in `chunkSize` pieces; returns the output and the largest output piece.
    private func decode(_ frame: [UInt8], chunkSize: Int = 65_536) throws -> (output: [UInt8], largestPiece: Int) {
        let decoder = try LZ4FrameDecoder()
        var output: [UInt8] = []
        var largestPiece = 0
        try frame.withUnsafeBytes { bytes in
            var position = 0
            while position < bytes.count {
                let end = min(position + chunkSize, bytes.count)
                try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[position..<end])) {
                    largestPiece = max(largestPiece, $0.count)
                    output.append(contentsOf: $0)
                }
                position = end
            }
        }
        try decoder.finish()
        return (output, largestPiece)
    }

    @Test("our frame is read by lz4 -t and lz4 -dc", arguments: LZ4FrameEncoder.BlockSize.allCases)
    func readByCLI(blockSize: LZ4FrameEncoder.BlockSize) throws {
        let input = SampleData.mixed(count: 5_000_000)
        let frame = try encode(input, chunkSize: 333_333, blockSize: blockSize)
        #expect(frame.count < input.count)
        #expect(frame[4] & 0x04 != 0, "content checksum flag set")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write(frame, to: "snapshot.tar.lz4")
        let test = try runTool("lz4", ["-t", file.path], in: directory)
        #expect(test.status == 0, "\(test.standardError)")
        let decoded = try runTool("lz4", ["-dc", file.path], in: directory)
        #expect(decoded.status == 0, "\(decoded.standardError)")
        #expect(decoded.standardOutput == input)
    }

    @Test("an empty frame is valid for lz4 and for us")
    func emptyFrame() throws {
        let frame = try encode([])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write(frame, to: "empty.lz4")
        let decoded = try runTool("lz4", ["-dc", file.path], in: directory)
        #expect(decoded.status == 0, "\(decoded.standardError)")
        #expect(decoded.standardOutput.isEmpty)
        #expect(try decode(frame).output.isEmpty)
    }

    @Test("a frame made by the lz4 CLI decodes, in any chunking", arguments: [1, 4_096, 1 << 20])
    func readsCLIFrame(chunkSize: Int) throws {
        let input = SampleData.mixed(count: chunkSize == 1 ? 300_000 : 3_000_000)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try directory.write(input, to: "input.tar")
        let made = try runTool("lz4", ["-c", "--content-size", source.path], input: nil, in: directory)
        #expect(made.status == 0, "\(made.standardError)")
        let decoded = try decode(made.standardOutput, chunkSize: chunkSize)
        #expect(decoded.output == input)
        #expect(decoded.largestPiece <= LZ4FrameDecoder.maximumOutputChunkSize)
    }

    @Test("the same input gives the same frame")
    func determinism() throws {
        let input = SampleData.mixed(count: 1_000_000)
        #expect(try encode(input) == encode(input, chunkSize: 77_777))
    }

    @Test("the encoder starts a new frame after finish; concatenated frames decode like lz4 -dc does")
    func concatenatedFrames() throws {
        let encoder = try LZ4FrameEncoder(blockSize: .max64KiB)
        var frames: [UInt8] = []
        let first = SampleData.text(count: 100_000)
        let second = SampleData.random(count: 70_000)
        try first.withUnsafeBytes { try encoder.write($0, appendingTo: &frames) }
        try encoder.finish(appendingTo: &frames)
        try second.withUnsafeBytes { try encoder.write($0, appendingTo: &frames) }
        try encoder.finish(appendingTo: &frames)
        let decoder = try LZ4FrameDecoder()
        var output: [UInt8] = []
        try frames.withUnsafeBytes { bytes in try decoder.feed(bytes) { output += $0 } }
        try decoder.finish()
        #expect(output == first + second)
        #expect(decoder.framesCompleted == 2)
    }

    @Test("a truncated frame is rejected", arguments: [1, 4, 7, 100, 50_000, -4, -1])
    func truncated(cut: Int) throws {
        let frame = try encode(SampleData.mixed(count: 300_000), blockSize: .max64KiB)
        let length = cut > 0 ? cut : frame.count + cut
        let error = codecError { _ = try decode(Array(frame[..<length])) }
        #expect(error?.kind == .truncated)
    }

    @Test("a damaged content checksum is a checksum mismatch")
    func wrongChecksum() throws {
        var frame = try encode(SampleData.text(count: 200_000))
        frame[frame.count - 1] ^= 0x01
        let error = codecError { _ = try decode(frame) }
        #expect(error?.kind == .checksumMismatch)
        #expect(error?.library == .lz4)
    }

    @Test("damaged block data is rejected")
    func corruptBlock() throws {
        var frame = try encode(SampleData.text(count: 200_000))
        for position in stride(from: 40, to: frame.count - 40, by: 97) { frame[position] ^= 0xA5 }
        let error = codecError { _ = try decode(frame) }
        #expect([.corruptData, .checksumMismatch].contains(error?.kind))
    }

    @Test("a damaged header is a bad header")
    func damagedHeader() throws {
        var frame = try encode(SampleData.text(count: 1_000))
        frame[6] ^= 0xFF  // header checksum byte
        #expect(codecError { _ = try decode(frame) }?.kind == .badHeader)
    }

    @Test("non-LZ4 input, trailing garbage and empty input are rejected")
    func notLZ4() throws {
        #expect(codecError { _ = try decode(Array("plain text, not lz4".utf8)) }?.kind == .notLZ4)
        let frame = try encode(SampleData.text(count: 1_000))
        #expect(codecError { _ = try decode(frame + Array("garbage!".utf8)) }?.kind == .trailingGarbage)
        #expect(codecError { _ = try decode([]) }?.kind == .empty)
    }

    @Test("levels outside 0...12 are rejected")
    func invalidLevel() {
        #expect(codecError { _ = try LZ4FrameEncoder(compressionLevel: 13) }?.kind == .invalidArgument)
    }
}
