import CLibdeflate

/// Pins one `libdeflate_compressor` and frees it in `deinit`.
///
/// libdeflate compresses a whole buffer in one call, which is what a 1 MiB block is; the compressor holds
/// only its match-finder tables, so one per worker thread is reused for every block it compresses.
final class LibdeflateCompressor {
    private let compressor: OpaquePointer

    /// Allocates a compressor for `level` (libdeflate accepts 0-12; Sindri uses 1-9).
    init(level: Int) throws(CodecError) {
        guard let compressor = libdeflate_alloc_compressor(Int32(level)) else {
            throw CodecError(
                kind: .outOfMemory, operation: "libdeflate_alloc_compressor", library: .libdeflate,
                message: "could not allocate a level \(level) compressor")
        }
        self.compressor = compressor
    }

    deinit {
        libdeflate_free_compressor(compressor)
    }

    /// Upper bound of the gzip member size for `inputSize` bytes of input.
    func gzipBound(inputSize: Int) -> Int {
        libdeflate_gzip_compress_bound(compressor, inputSize)
    }

    /// Compresses `input` into one gzip member in `output`; returns the member's size.
    func gzipCompress(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(CodecError) -> Int {
        var empty: UInt8 = 0
        let written = withUnsafePointer(to: &empty) { emptyPointer in
            libdeflate_gzip_compress(
                compressor, input.baseAddress ?? UnsafeRawPointer(emptyPointer), input.count,
                output.baseAddress, output.count)
        }
        guard written > 0 else {
            throw CodecError(
                kind: .outputTooSmall, operation: "libdeflate_gzip_compress", library: .libdeflate, returnCode: 0,
                message: "\(input.count) bytes did not fit in an output buffer of \(output.count) bytes")
        }
        return written
    }
}
