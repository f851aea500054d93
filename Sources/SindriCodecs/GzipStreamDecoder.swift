/// Streams a whole .gz file of one or more members (RFC 1952) through zlib, in bounded output pieces.
///
/// Feed the file in chunks of any size; decoded bytes come out in pieces of at most `outputChunkSize`
/// (256 KiB by default), never a whole member at once, so memory stays flat whatever the archive size.
/// Each member's CRC-32 and ISIZE are checked by zlib; between members the decoder checks the gzip magic
/// itself (so a non-gzip file is `.notGzip`, not a zlib header error) and calls `inflateReset`.
///
/// Trailing data: after the last member, a run of zero bytes is accepted when `toleratesTrailingZeros` is
/// true (the default), as GNU gzip does for tape padding; its length is in `trailingZeroBytes`. Any other
/// byte after a member that is not the start of a new member is `.trailingGarbage`. Sindri never writes
/// padding, so verify can pass `toleratesTrailingZeros: false` to be strict.
///
/// After any error the decoder is spent: later calls throw `.invalidState`. Not `Sendable`.
public final class GzipStreamDecoder {
    /// The largest output piece a caller can ask for.
    public static let maximumOutputChunkSize = 256 * 1024

    /// The size of the largest piece handed to `output`.
    public let outputChunkSize: Int
    /// Whether zero bytes after the last member are accepted.
    public let toleratesTrailingZeros: Bool
    /// Compressed bytes consumed so far (all bytes fed, unless an error stopped the decoder).
    public private(set) var compressedBytesConsumed = 0
    /// Decoded bytes delivered so far.
    public private(set) var uncompressedBytesProduced = 0
    /// Members completely decoded and verified so far.
    public private(set) var membersCompleted = 0
    /// Zero bytes accepted after the last member.
    public private(set) var trailingZeroBytes = 0
    /// The boundary of the most recently completed member.
    public private(set) var lastMemberBoundary: GzipMemberBoundary?

    private enum State {
        /// Between members: the next byte must be 1f (or, after a member, padding if tolerated).
        case awaitingFirstMagicByte
        /// Saw 1f; the next byte must be 8b.
        case awaitingSecondMagicByte
        /// Inside a member; zlib has it.
        case inMember
        /// Inside zero padding after the last member.
        case trailingZeros
        /// `finish` succeeded.
        case finished
        /// An error was thrown; nothing more can be decoded.
        case failed
    }

    private var state = State.awaitingFirstMagicByte
    private let inflater: ZlibInflateStream
    private let outputBuffer: UnsafeMutableRawBufferPointer
    private let onMemberEnd: ((GzipMemberBoundary) throws -> Void)?
    private var memberCompressedStart = 0
    private var memberUncompressedStart = 0

    /// Creates a decoder.
    ///
    /// - Parameters:
    ///   - outputChunkSize: largest piece handed to `output`, 1 byte to 256 KiB.
    ///   - toleratesTrailingZeros: accept zero padding after the last member (see the type's comment).
    ///   - onMemberEnd: called for each member once all its bytes were delivered and its trailer checked.
    /// - Throws: `CodecError` `.invalidArgument` for a bad chunk size, or zlib's `inflateInit2` failure.
    public init(
        outputChunkSize: Int = GzipStreamDecoder.maximumOutputChunkSize, toleratesTrailingZeros: Bool = true,
        onMemberEnd: ((GzipMemberBoundary) throws -> Void)? = nil
    ) throws(CodecError) {
        guard (1...Self.maximumOutputChunkSize).contains(outputChunkSize) else {
            throw CodecError(
                kind: .invalidArgument, operation: "GzipStreamDecoder.init", library: .sindri,
                message: "output chunk size \(outputChunkSize) is outside 1...\(Self.maximumOutputChunkSize)")
        }
        self.outputChunkSize = outputChunkSize
        self.toleratesTrailingZeros = toleratesTrailingZeros
        self.onMemberEnd = onMemberEnd
        inflater = try ZlibInflateStream()
        outputBuffer = .allocate(byteCount: outputChunkSize, alignment: 16)
    }

    deinit {
        outputBuffer.deallocate()
    }

    /// Decodes the next `chunk` of the file, handing decoded bytes to `output` in order.
    ///
    /// - Throws: `CodecError` (`.notGzip`, `.badHeader`, `.corruptData`, `.checksumMismatch`, `.lengthMismatch`,
    ///   `.trailingGarbage`, `.invalidState`), or whatever `output` or `onMemberEnd` throw.
    public func feed(_ chunk: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try checkUsable(operation: "GzipStreamDecoder.feed")
        do {
            try decode(chunk, output: output)
        } catch let error as CodecError {
            let error = located(error)
            state = .failed
            throw error
        } catch {
            state = .failed
            throw error
        }
    }

    /// Decodes the next `chunk` of the file, handing decoded bytes to `output` in order.
    public func feed(_ chunk: [UInt8], output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try chunk.withUnsafeBytes { try feed($0, output: output) }
    }

    /// Declares the end of the input and checks that it ended cleanly after a complete member.
    ///
    /// - Throws: `CodecError` `.empty` if nothing was fed, `.truncated` if the input ended inside a member.
    public func finish() throws(CodecError) {
        try checkUsable(operation: "GzipStreamDecoder.finish")
        switch state {
        case .awaitingFirstMagicByte where membersCompleted == 0:
            state = .failed
            throw CodecError(
                kind: .empty, operation: "GzipStreamDecoder.finish", library: .sindri,
                message: "the input is empty, not a gzip file", byteOffset: 0)
        case .awaitingSecondMagicByte, .inMember:
            let error = located(CodecError(
                kind: .truncated, operation: "GzipStreamDecoder.finish", library: .sindri,
                message: "the input ends inside gzip member \(membersCompleted + 1), which started at byte "
                    + "\(memberCompressedStart)", byteOffset: compressedBytesConsumed))
            state = .failed
            throw error
        default:
            state = .finished
        }
    }

    /// `error` with the member it concerns: the one being decoded, or the one that would have
    /// started where the bytes were not a gzip header.
    private func located(_ error: CodecError) -> CodecError {
        guard error.member == nil else { return error }
        var error = error
        error.member = membersCompleted + 1
        switch state {
        case .awaitingSecondMagicByte, .inMember:
            error.memberOffset = memberCompressedStart
        default:
            error.memberOffset = error.byteOffset
        }
        return error
    }

    private func checkUsable(operation: String) throws(CodecError) {
        switch state {
        case .failed:
            throw CodecError(
                kind: .invalidState, operation: operation, library: .sindri,
                message: "the decoder stopped at an earlier error", byteOffset: compressedBytesConsumed)
        case .finished:
            throw CodecError(
                kind: .invalidState, operation: operation, library: .sindri,
                message: "the decoder was already finished", byteOffset: compressedBytesConsumed)
        default:
            return
        }
    }

    private func decode(_ chunk: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        var position = 0
        while position < chunk.count {
            switch state {
            case .awaitingFirstMagicByte:
                let byte = chunk[position]
                if byte == GzipFormat.magic1 {
                    memberCompressedStart = compressedBytesConsumed
                    position += 1
                    compressedBytesConsumed += 1
                    state = .awaitingSecondMagicByte
                } else if membersCompleted > 0 && byte == 0 && toleratesTrailingZeros {
                    state = .trailingZeros
                } else {
                    throw badMagic(at: compressedBytesConsumed)
                }
            case .awaitingSecondMagicByte:
                guard chunk[position] == GzipFormat.magic2 else { throw badMagic(at: memberCompressedStart) }
                try startMember()
            case .inMember:
                let slice = UnsafeRawBufferPointer(rebasing: chunk[position...])
                let progress = try inflater.inflate(
                    slice, inputOffset: compressedBytesConsumed, outputBuffer: outputBuffer
                ) { piece in
                    uncompressedBytesProduced += piece.count
                    try output(piece)
                }
                position += progress.consumed
                compressedBytesConsumed += progress.consumed
                if progress.memberEnded { try endMember() }
            case .trailingZeros:
                while position < chunk.count && chunk[position] == 0 {
                    position += 1
                    compressedBytesConsumed += 1
                    trailingZeroBytes += 1
                }
                if position < chunk.count {
                    throw CodecError(
                        kind: .trailingGarbage, operation: "GzipStreamDecoder.feed", library: .sindri,
                        message: "non-zero byte after \(trailingZeroBytes) zero bytes of padding that follow "
                            + "member \(membersCompleted)", byteOffset: compressedBytesConsumed)
                }
            case .finished, .failed:
                preconditionFailure("checkUsable guards decoding after finish or failure")
            }
        }
    }

    /// Resets zlib and replays the 1f byte already consumed, so zlib parses the whole header itself.
    private func startMember() throws {
        try inflater.reset()
        var firstByte = GzipFormat.magic1
        let progress = try withUnsafeBytes(of: &firstByte) { bytes in
            try inflater.inflate(bytes, inputOffset: memberCompressedStart, outputBuffer: outputBuffer) { _ in
                preconditionFailure("a gzip header byte produces no output")
            }
        }
        precondition(progress.consumed == 1 && !progress.memberEnded, "zlib must take the first magic byte")
        memberUncompressedStart = uncompressedBytesProduced
        state = .inMember
    }

    private func endMember() throws {
        let boundary = GzipMemberBoundary(
            compressedOffset: memberCompressedStart,
            compressedLength: compressedBytesConsumed - memberCompressedStart,
            uncompressedOffset: memberUncompressedStart,
            uncompressedLength: uncompressedBytesProduced - memberUncompressedStart)
        membersCompleted += 1
        lastMemberBoundary = boundary
        state = .awaitingFirstMagicByte
        try onMemberEnd?(boundary)
    }

    private func badMagic(at offset: Int) -> CodecError {
        if membersCompleted == 0 {
            return CodecError(
                kind: .notGzip, operation: "GzipStreamDecoder.feed", library: .sindri,
                message: "the input does not start with the gzip magic bytes 1f 8b", byteOffset: offset)
        }
        return CodecError(
            kind: .trailingGarbage, operation: "GzipStreamDecoder.feed", library: .sindri,
            message: "bytes after member \(membersCompleted) do not start a gzip member", byteOffset: offset)
    }
}

@available(*, unavailable, message: "GzipStreamDecoder owns mutable C state")
extension GzipStreamDecoder: Sendable {}
