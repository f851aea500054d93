import CZlib

/// Pins one zlib `z_stream` set up to inflate gzip members and ends it in `deinit`.
///
/// The `z_stream` is allocated manually because zlib's `inflateStateCheck` compares `state->strm` with the
/// pointer passed on each call; a Swift stored struct could move between calls.
final class ZlibInflateStream {
    private let stream: UnsafeMutablePointer<z_stream>

    /// The outcome of one `inflate` run over an input slice.
    struct Progress {
        /// Input bytes zlib consumed.
        var consumed: Int
        /// True when zlib reached the end of the member (trailer checked).
        var memberEnded: Bool
    }

    /// Sets up a gzip-only inflater (windowBits 15+16: a zlib or raw stream is rejected, not auto-detected).
    init() throws(CodecError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = sindri_inflateInit2(stream, 15 + 16)
        guard code == Z_OK else {
            let error = ZlibStatus.error(code, stream: stream, operation: "inflateInit2")
            stream.deallocate()
            throw error
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Prepares for the next member; keeps the window allocation.
    func reset() throws(CodecError) {
        let code = inflateReset(stream)
        guard code == Z_OK else { throw ZlibStatus.error(code, stream: stream, operation: "inflateReset") }
    }

    /// Inflates from `input` until it is consumed or the member ends, handing every filled part of
    /// `outputBuffer` to `output` before refilling it, so no more than `outputBuffer.count` bytes are
    /// pending at once. `inputOffset` is the compressed offset of `input`'s first byte, for errors.
    func inflate(
        _ input: UnsafeRawBufferPointer, inputOffset: Int, outputBuffer: UnsafeMutableRawBufferPointer,
        output: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Progress {
        // zlib counts in 32-bit uInt; a larger slice is consumed in several calls by the caller's loop.
        let available = min(input.count, Int(UInt32.max))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(available)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
        }
        while true {
            stream.pointee.next_out = outputBuffer.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(outputBuffer.count)
            let code = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = outputBuffer.count - Int(stream.pointee.avail_out)
            let consumed = available - Int(stream.pointee.avail_in)
            switch code {
            case Z_OK, Z_STREAM_END, Z_BUF_ERROR:
                break
            case Z_NEED_DICT:
                throw CodecError(
                    kind: .corruptData, operation: "inflate", library: .zlib, returnCode: Int(code),
                    message: "deflate data asks for a preset dictionary", byteOffset: inputOffset + consumed)
            default:
                throw ZlibStatus.error(code, stream: stream, operation: "inflate", byteOffset: inputOffset + consumed)
            }
            if produced > 0 {
                try output(UnsafeRawBufferPointer(start: outputBuffer.baseAddress, count: produced))
            }
            if code == Z_STREAM_END {
                return Progress(consumed: consumed, memberEnded: true)
            }
            // Z_BUF_ERROR means no progress was possible: all input used and nothing left to flush.
            let outputWasFull = stream.pointee.avail_out == 0
            if code == Z_BUF_ERROR || (stream.pointee.avail_in == 0 && !outputWasFull) {
                return Progress(consumed: consumed, memberEnded: false)
            }
        }
    }
}
