#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The deflate implementation behind a `GzipMemberCompressor`.
public enum DeflateEngine: String, Sendable, CaseIterable {
    /// libdeflate: whole-buffer compression, roughly twice zlib's speed at equal or better ratio. The default.
    case libdeflate
    /// zlib: the reference implementation, kept for comparison and as a fallback.
    case zlib
}

/// Compresses one block of the tar stream into one complete gzip member (RFC 1952).
///
/// The backup engine cuts the tar stream into ~1 MiB blocks and compresses each into its own member in
/// parallel; consecutive members form a valid multi-member .gz that gzip, GNU tar, bsdtar and Python read,
/// and each block can be inflated on its own at restore. Every member starts with `GzipFormat.fixedHeader`
/// whichever engine wrote it, so the same input, level and engine always give the same bytes.
///
/// Not `Sendable`: the compressor owns mutable C state. Create one per worker thread (or task) and keep it
/// there; hand it over with `sending` if a pool owns it between uses.
public final class GzipMemberCompressor {
    /// Deflate level, 1 (fastest) through 9 (smallest).
    public let level: Int
    /// The deflate implementation in use.
    public let engine: DeflateEngine

    private enum Backend {
        case libdeflate(LibdeflateCompressor)
        case zlib(ZlibDeflateStream)
    }

    private let backend: Backend

    /// The valid deflate levels.
    public static let levels: ClosedRange<Int> = 1...9

    /// Creates a compressor; allocates the engine's state once for all members it will write.
    ///
    /// - Throws: `CodecError` `.invalidArgument` for a level outside 1-9, `.outOfMemory` if allocation fails.
    public init(level: Int = 6, engine: DeflateEngine = .libdeflate) throws(CodecError) {
        guard Self.levels.contains(level) else {
            throw CodecError(
                kind: .invalidArgument, operation: "GzipMemberCompressor.init", library: .sindri,
                message: "compression level \(level) is outside 1...9")
        }
        self.level = level
        self.engine = engine
        switch engine {
        case .libdeflate: backend = .libdeflate(try LibdeflateCompressor(level: level))
        case .zlib: backend = .zlib(try ZlibDeflateStream(level: level))
        }
    }

    /// The largest member `compressMember` can produce for `inputSize` bytes: the size to give `into:`.
    public func maxMemberSize(inputSize: Int) -> Int {
        let engineBound: Int
        switch backend {
        case .libdeflate(let compressor): engineBound = compressor.gzipBound(inputSize: inputSize)
        case .zlib(let stream): engineBound = stream.gzipBound(inputSize: inputSize)
        }
        // An incompressible input is written as stored blocks instead (see `compressMember(_:into:)`).
        return max(engineBound, StoredGzipMember.encodedSize(payloadSize: inputSize))
    }

    /// Compresses `input` into one gzip member written at the start of `output`; returns the member's size.
    ///
    /// Input that `CompressibilityProbe` finds incompressible (git packs, images, archives) is written as
    /// stored deflate blocks: deflate would spend as long on it as on text and emit it 0.01% larger.
    ///
    /// `output` must hold at least `maxMemberSize(inputSize: input.count)` bytes.
    /// - Throws: `CodecError` `.outputTooSmall` if it does not, or the engine's failure.
    public func compressMember(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws(CodecError) -> Int {
        if CompressibilityProbe.isIncompressible(input) {
            let needed = StoredGzipMember.encodedSize(payloadSize: input.count)
            guard output.count >= needed else {
                throw CodecError(
                    kind: .outputTooSmall, operation: "store incompressible block", library: .sindri,
                    message: "\(input.count) bytes did not fit in an output buffer of \(output.count) bytes")
            }
            return StoredGzipMember.encode(input, into: output)
        }
        let size: Int
        switch backend {
        case .libdeflate(let compressor): size = try compressor.gzipCompress(input, into: output)
        case .zlib(let stream): size = try stream.gzipCompress(input, into: output)
        }
        GzipFormat.normalizeHeader(UnsafeMutableRawBufferPointer(rebasing: output[0..<size]))
        return size
    }

    /// Compresses `input` into one gzip member appended to `output`, so a worker can reuse one buffer.
    public func compressMember(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(CodecError) {
        let start = output.count
        let bound = maxMemberSize(inputSize: input.count)
        // Grown by one memset, not by appending `repeatElement`: that walks the bound byte by
        // byte through generic code in a debug build (the end-to-end tests' binary), ~5 MB/s.
        output += [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
            if bound > 0 { memset(buffer.baseAddress!, 0, bound) }
            initialized = bound
        }
        let result = output.withUnsafeMutableBytes { buffer -> Result<Int, CodecError> in
            Result { () throws(CodecError) -> Int in
                try compressMember(input, into: UnsafeMutableRawBufferPointer(rebasing: buffer[start...]))
            }
        }
        switch result {
        case .success(let size):
            output.removeLast(bound - size)
        case .failure(let error):
            output.removeLast(bound)
            throw error
        }
    }

    /// Compresses `input` into one complete gzip member.
    public func compressMember(_ input: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] {
        var member: [UInt8] = []
        try compressMember(input, appendingTo: &member)
        return member
    }

    /// Compresses `input` into one complete gzip member.
    public func compressMember(_ input: [UInt8]) throws(CodecError) -> [UInt8] {
        let result = input.withUnsafeBytes { bytes in
            Result { () throws(CodecError) -> [UInt8] in try compressMember(bytes) }
        }
        return try result.get()
    }
}

@available(*, unavailable, message: "GzipMemberCompressor owns mutable C state; use one per worker")
extension GzipMemberCompressor: Sendable {}
