import CZlib

/// Pins one zlib `z_stream` set up for gzip members and ends it in `deinit`.
///
/// The `z_stream` and its `gz_header` live in manually allocated memory because zlib keeps pointers to both
/// (`state->strm` is checked against the stream on every call, `state->gzhead` is read while writing the
/// header); a Swift stored struct could move. The stream is reused for every member with `deflateReset`.
final class ZlibDeflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private let header: UnsafeMutablePointer<gz_header>
    let level: Int

    /// Sets up a gzip deflater: windowBits 15+16 (gzip wrapper), memLevel 8, Z_DEFAULT_STRATEGY.
    init(level: Int) throws(CodecError) {
        self.level = level
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        header = .allocate(capacity: 1)
        header.initialize(to: gz_header())
        let code = sindri_deflateInit2(stream, Int32(level), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        guard code == Z_OK else {
            let error = ZlibStatus.error(code, stream: stream, operation: "deflateInit2")
            stream.deallocate()
            header.deallocate()
            throw error
        }
        try setFixedHeader()
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        header.deallocate()
    }

    /// Upper bound of the gzip member size for `inputSize` bytes of input (includes header and trailer).
    func gzipBound(inputSize: Int) -> Int {
        Int(deflateBound(stream, UInt(inputSize)))
    }

    /// Compresses `input` into one gzip member in `output` with a single `deflate(Z_FINISH)`; returns its size.
    func gzipCompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(CodecError) -> Int {
        guard input.count <= Int(UInt32.max), output.count <= Int(UInt32.max) else {
            throw CodecError(
                kind: .invalidArgument, operation: "deflate", library: .zlib,
                message: "zlib takes at most 4 GiB per call; got \(input.count) bytes in, \(output.count) out")
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let code = deflate(stream, Z_FINISH)
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        let failure: CodecError?
        switch code {
        case Z_STREAM_END:
            failure = nil
        case Z_OK, Z_BUF_ERROR:
            failure = CodecError(
                kind: .outputTooSmall, operation: "deflate", library: .zlib, returnCode: Int(code),
                message: "\(input.count) bytes did not fit in an output buffer of \(output.count) bytes")
        default:
            failure = ZlibStatus.error(code, stream: stream, operation: "deflate")
        }
        let size = output.count - Int(stream.pointee.avail_out)
        // Reset right away (not before the next member) so that `gzipBound` always sees a fresh stream:
        // after Z_STREAM_END zlib negates `wrap`, and deflateBound would then leave out the gzip wrapper.
        try reset()
        if let failure { throw failure }
        return size
    }

    /// Prepares the stream for the next member, keeping its allocations, and sets the fixed header again.
    private func reset() throws(CodecError) {
        let code = deflateReset(stream)
        guard code == Z_OK else { throw ZlibStatus.error(code, stream: stream, operation: "deflateReset") }
        try setFixedHeader()
    }

    /// Tells zlib to write MTIME 0, OS 3 and no name; must follow every `deflateReset`.
    private func setFixedHeader() throws(CodecError) {
        header.pointee = gz_header()
        header.pointee.time = 0
        header.pointee.os = Int32(GzipFormat.operatingSystemUnix)
        let code = deflateSetHeader(stream, header)
        guard code == Z_OK else { throw ZlibStatus.error(code, stream: stream, operation: "deflateSetHeader") }
    }
}

/// Maps zlib return codes and `msg` strings to `CodecError`.
enum ZlibStatus {
    /// The error for a failed zlib call, using the stream's `msg` when zlib set one.
    static func error(
        _ code: Int32, stream: UnsafeMutablePointer<z_stream>?, operation: String, byteOffset: Int? = nil
    ) -> CodecError {
        let zlibMessage = stream?.pointee.msg.map { String(cString: $0) }
        let kind: CodecError.Kind
        switch code {
        case Z_DATA_ERROR:
            switch zlibMessage {
            case "incorrect data check": kind = .checksumMismatch
            case "incorrect length check": kind = .lengthMismatch
            case "unknown compression method", "unknown header flags set", "header crc mismatch",
                "incorrect header check":
                kind = .badHeader
            default: kind = .corruptData
            }
        case Z_MEM_ERROR: kind = .outOfMemory
        case Z_STREAM_ERROR: kind = .invalidArgument
        case Z_BUF_ERROR: kind = .outputTooSmall
        default: kind = .libraryFailure
        }
        return CodecError(
            kind: kind, operation: operation, library: .zlib, returnCode: Int(code),
            message: zlibMessage ?? describe(code), byteOffset: byteOffset)
    }

    private static func describe(_ code: Int32) -> String {
        switch code {
        case Z_DATA_ERROR: return "invalid or incomplete deflate data"
        case Z_MEM_ERROR: return "out of memory"
        case Z_STREAM_ERROR: return "inconsistent stream state or invalid parameter"
        case Z_BUF_ERROR: return "no progress possible (buffer error)"
        case Z_VERSION_ERROR: return "zlib library version does not match the header"
        default: return "zlib error \(code)"
        }
    }
}
