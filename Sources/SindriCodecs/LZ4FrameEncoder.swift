import CLZ4

/// Streams bytes into one standard LZ4 frame (readable by `lz4 -dc`), for pre-restore snapshots.
///
/// The frame has a content checksum (xxHash32 of all data) so a damaged snapshot is detected before it is
/// used for rollback; blocks are linked (better ratio) and 4 MiB by default, like the `lz4` CLI.
/// Call `write` any number of times, then `finish`; the encoder can then start another frame.
/// Output is handed to a closure in pieces no larger than one compressed input slice (about 1 MiB).
///
/// Not `Sendable`: the encoder owns an `LZ4F_cctx`.
public final class LZ4FrameEncoder {
    /// LZ4 frame maximum block size (the frame's block size ID).
    public enum BlockSize: Sendable, Equatable, CaseIterable {
        /// 64 KiB blocks: least memory, lowest ratio.
        case max64KiB
        /// 256 KiB blocks.
        case max256KiB
        /// 1 MiB blocks.
        case max1MiB
        /// 4 MiB blocks, the `lz4` CLI's default and ours.
        case max4MiB

        var identifier: LZ4F_blockSizeID_t {
            switch self {
            case .max64KiB: return LZ4F_max64KB
            case .max256KiB: return LZ4F_max256KB
            case .max1MiB: return LZ4F_max1MB
            case .max4MiB: return LZ4F_max4MB
            }
        }
    }

    /// Input is passed to `LZ4F_compressUpdate` in slices of this size, which bounds the output buffer.
    static let inputSliceSize = 1 << 20

    /// The frame's block size.
    public let blockSize: BlockSize
    /// LZ4F compression level: 0 is the fast default; 3 and above use LZ4 HC (slower, smaller).
    public let compressionLevel: Int

    private let context: OpaquePointer
    private var preferences: LZ4F_preferences_t
    private let outputBuffer: UnsafeMutableRawBufferPointer
    private var frameStarted = false

    /// Creates the compression context and its output buffer.
    ///
    /// - Throws: `CodecError` `.invalidArgument` for a level outside 0-12, or the context creation failure.
    public init(blockSize: BlockSize = .max4MiB, compressionLevel: Int = 0) throws(CodecError) {
        guard (0...12).contains(compressionLevel) else {
            throw CodecError(
                kind: .invalidArgument, operation: "LZ4FrameEncoder.init", library: .sindri,
                message: "LZ4 compression level \(compressionLevel) is outside 0...12")
        }
        self.blockSize = blockSize
        self.compressionLevel = compressionLevel
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = blockSize.identifier
        preferences.frameInfo.blockMode = LZ4F_blockLinked
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.frameInfo.frameType = LZ4F_frame
        preferences.compressionLevel = Int32(compressionLevel)
        self.preferences = preferences

        var context: OpaquePointer?
        _ = try LZ4Status.check(
            LZ4F_createCompressionContext(&context, sindri_lz4f_version()), operation: "LZ4F_createCompressionContext")
        guard let context else {
            throw CodecError(
                kind: .outOfMemory, operation: "LZ4F_createCompressionContext", library: .lz4,
                message: "no context returned")
        }
        self.context = context
        // The bound covers one slice plus whatever a partially filled block holds, and the end mark.
        let bound = max(LZ4F_compressBound(Self.inputSliceSize, &preferences), 64)
        outputBuffer = .allocate(byteCount: bound, alignment: 16)
    }

    deinit {
        LZ4F_freeCompressionContext(context)
        outputBuffer.deallocate()
    }

    /// Compresses `input` into the current frame (starting one if needed), handing output to `output`.
    ///
    /// LZ4F buffers up to one block, so output lags input; `finish` flushes it.
    public func write(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try beginFrameIfNeeded(output: output)
        var position = 0
        while position < input.count {
            let sliceEnd = min(position + Self.inputSliceSize, input.count)
            let slice = UnsafeRawBufferPointer(rebasing: input[position..<sliceEnd])
            let written = try LZ4Status.check(
                LZ4F_compressUpdate(
                    context, outputBuffer.baseAddress, outputBuffer.count, slice.baseAddress, slice.count, nil),
                operation: "LZ4F_compressUpdate")
            if written > 0 { try output(UnsafeRawBufferPointer(start: outputBuffer.baseAddress, count: written)) }
            position = sliceEnd
        }
    }

    /// Ends the current frame (writing the header first for an empty frame), flushing buffered data, the
    /// end mark and the content checksum to `output`. The next `write` starts a new frame.
    public func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try beginFrameIfNeeded(output: output)
        let written = try LZ4Status.check(
            LZ4F_compressEnd(context, outputBuffer.baseAddress, outputBuffer.count, nil), operation: "LZ4F_compressEnd")
        frameStarted = false
        if written > 0 { try output(UnsafeRawBufferPointer(start: outputBuffer.baseAddress, count: written)) }
    }

    /// Compresses `input` into the current frame, appending output to `output`.
    public func write(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(CodecError) {
        do {
            try write(input) { output.append(contentsOf: $0) }
        } catch let error as CodecError {
            throw error
        } catch {
            preconditionFailure("appending cannot throw: \(error)")
        }
    }

    /// Ends the current frame, appending the rest of it to `output`.
    public func finish(appendingTo output: inout [UInt8]) throws(CodecError) {
        do {
            try finish { output.append(contentsOf: $0) }
        } catch let error as CodecError {
            throw error
        } catch {
            preconditionFailure("appending cannot throw: \(error)")
        }
    }

    /// Compresses `input` into one complete frame with a new encoder.
    public static func compressFrame(
        _ input: UnsafeRawBufferPointer, blockSize: BlockSize = .max4MiB, compressionLevel: Int = 0
    ) throws(CodecError) -> [UInt8] {
        let encoder = try LZ4FrameEncoder(blockSize: blockSize, compressionLevel: compressionLevel)
        var frame: [UInt8] = []
        try encoder.write(input, appendingTo: &frame)
        try encoder.finish(appendingTo: &frame)
        return frame
    }

    private func beginFrameIfNeeded(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !frameStarted else { return }
        let written = try LZ4Status.check(
            LZ4F_compressBegin(context, outputBuffer.baseAddress, outputBuffer.count, &preferences),
            operation: "LZ4F_compressBegin")
        frameStarted = true
        try output(UnsafeRawBufferPointer(start: outputBuffer.baseAddress, count: written))
    }
}

@available(*, unavailable, message: "LZ4FrameEncoder owns an LZ4F compression context")
extension LZ4FrameEncoder: Sendable {}
