import CLZ4

/// Streams one or more concatenated LZ4 frames (as `lz4 -dc` accepts) back into bytes, in bounded pieces.
///
/// `LZ4F_decompress` verifies block and content checksums when the frame carries them (ours always carry
/// the content checksum). Truncation is detected by `finish`: LZ4F's size hint is non-zero while a frame
/// is incomplete. Bytes after a complete frame that do not start another frame are `.trailingGarbage`.
///
/// After any error the decoder is spent: later calls throw `.invalidState`. Not `Sendable`.
public final class LZ4FrameDecoder {
    /// The largest output piece a caller can ask for.
    public static let maximumOutputChunkSize = 256 * 1024

    /// The size of the largest piece handed to `output`.
    public let outputChunkSize: Int
    /// Compressed bytes consumed so far.
    public private(set) var compressedBytesConsumed = 0
    /// Decoded bytes delivered so far.
    public private(set) var uncompressedBytesProduced = 0
    /// Frames completely decoded and verified so far.
    public private(set) var framesCompleted = 0

    private let context: OpaquePointer
    private let outputBuffer: UnsafeMutableRawBufferPointer
    /// LZ4F's hint of the bytes it expects next; 0 exactly when the last frame is complete.
    private var expectedBytes = 0
    private var isSpent = false

    /// Creates the decompression context and its output buffer.
    ///
    /// - Throws: `CodecError` `.invalidArgument` for a chunk size outside 1 byte...256 KiB, or the
    ///   `LZ4F_createDecompressionContext` failure.
    public init(outputChunkSize: Int = LZ4FrameDecoder.maximumOutputChunkSize) throws(CodecError) {
        guard (1...Self.maximumOutputChunkSize).contains(outputChunkSize) else {
            throw CodecError(
                kind: .invalidArgument, operation: "LZ4FrameDecoder.init", library: .sindri,
                message: "output chunk size \(outputChunkSize) is outside 1...\(Self.maximumOutputChunkSize)")
        }
        self.outputChunkSize = outputChunkSize
        var context: OpaquePointer?
        _ = try LZ4Status.check(
            LZ4F_createDecompressionContext(&context, sindri_lz4f_version()),
            operation: "LZ4F_createDecompressionContext")
        guard let context else {
            throw CodecError(
                kind: .outOfMemory, operation: "LZ4F_createDecompressionContext", library: .lz4,
                message: "no context returned")
        }
        self.context = context
        outputBuffer = .allocate(byteCount: outputChunkSize, alignment: 16)
    }

    deinit {
        LZ4F_freeDecompressionContext(context)
        outputBuffer.deallocate()
    }

    /// Decodes the next `chunk` of input, handing decoded bytes to `output` in order.
    ///
    /// - Throws: `CodecError` (`.notLZ4`, `.badHeader`, `.corruptData`, `.checksumMismatch`, `.trailingGarbage`,
    ///   `.invalidState`), or whatever `output` throws.
    public func feed(_ chunk: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try checkUsable(operation: "LZ4FrameDecoder.feed")
        do {
            try decode(chunk, output: output)
        } catch {
            isSpent = true
            throw error
        }
    }

    /// Decodes the next `chunk` of input, handing decoded bytes to `output` in order.
    public func feed(_ chunk: [UInt8], output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try chunk.withUnsafeBytes { try feed($0, output: output) }
    }

    /// Declares the end of input.
    ///
    /// - Throws: `CodecError` `.empty` if nothing was fed, `.truncated` if the input ended inside a frame.
    public func finish() throws(CodecError) {
        try checkUsable(operation: "LZ4FrameDecoder.finish")
        isSpent = true
        if compressedBytesConsumed == 0 {
            throw CodecError(
                kind: .empty, operation: "LZ4FrameDecoder.finish", library: .sindri,
                message: "the input is empty, not an LZ4 frame", byteOffset: 0)
        }
        if expectedBytes != 0 {
            throw CodecError(
                kind: .truncated, operation: "LZ4FrameDecoder.finish", library: .sindri,
                message: "the input ends inside LZ4 frame \(framesCompleted + 1); at least \(expectedBytes) more "
                    + "bytes expected", byteOffset: compressedBytesConsumed)
        }
    }

    /// Decodes a complete input (one or more frames) held in memory.
    public static func decompress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let decoder = try LZ4FrameDecoder()
        var result: [UInt8] = []
        try decoder.feed(input) { result.append(contentsOf: $0) }
        try decoder.finish()
        return result
    }

    private func checkUsable(operation: String) throws(CodecError) {
        guard !isSpent else {
            throw CodecError(
                kind: .invalidState, operation: operation, library: .sindri,
                message: "the decoder stopped at an earlier error or was finished", byteOffset: compressedBytesConsumed)
        }
    }

    private func decode(_ chunk: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        var position = 0
        var outputWasFull = false
        // Loop until the chunk is used up and LZ4F has no decoded bytes left that did not fit last time.
        while position < chunk.count || outputWasFull {
            var sourceSize = chunk.count - position
            var destinationSize = outputBuffer.count
            let hint = try LZ4Status.check(
                LZ4F_decompress(
                    context, outputBuffer.baseAddress, &destinationSize, chunk.baseAddress.map { $0 + position },
                    &sourceSize, nil),
                operation: "LZ4F_decompress", byteOffset: compressedBytesConsumed, framesCompleted: framesCompleted)
            position += sourceSize
            compressedBytesConsumed += sourceSize
            outputWasFull = destinationSize == outputBuffer.count
            if destinationSize > 0 {
                uncompressedBytesProduced += destinationSize
                try output(UnsafeRawBufferPointer(start: outputBuffer.baseAddress, count: destinationSize))
            }
            // LZ4F returns 0 only from the call that read a frame's last bytes (end mark or checksum). A call
            // that moved nothing (draining an already empty buffer) says nothing about the frame state.
            if sourceSize > 0 || destinationSize > 0 {
                if hint == 0 { framesCompleted += 1 }
                expectedBytes = hint
            }
            if sourceSize == 0 && destinationSize == 0 { break }
        }
    }
}

@available(*, unavailable, message: "LZ4FrameDecoder owns an LZ4F decompression context")
extension LZ4FrameDecoder: Sendable {}
