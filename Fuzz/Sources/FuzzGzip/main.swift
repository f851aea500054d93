// The gzip framing: the streaming decoder (any gzip file, chunked as a pipe would deliver it)
// and the block members (FEXTRA subfield `S` with each member's sizes) that restore cuts out
// of the input and inflates in parallel with libdeflate.
import FuzzSupport
import SindriCodecs

/// What decoding a whole stream gave: the bytes, members, or the kind of error.
private struct StreamOutcome: Equatable {
    var output: [UInt8] = []
    var members: [GzipMemberBoundary] = []
    var failure: CodecError.Kind?
}

private func decodeStream(_ input: UnsafeRawBufferPointer, chunkSizes: [Int], outputChunkSize: Int) -> StreamOutcome {
    var outcome = StreamOutcome()
    do {
        let decoder = try GzipStreamDecoder(outputChunkSize: outputChunkSize) { outcome.members.append($0) }
        try FuzzInput.forEachChunk(of: input, sizes: chunkSizes) { chunk in
            try decoder.feed(chunk) { piece in
                fuzzCheck(piece.count > 0 && piece.count <= outputChunkSize, "output piece of \(piece.count) bytes")
                outcome.output.append(contentsOf: piece)
            }
        }
        try decoder.finish()
        fuzzCheck(decoder.compressedBytesConsumed == input.count, "a finished decoder consumed every byte")
        fuzzCheck(decoder.uncompressedBytesProduced == outcome.output.count, "produced count matches the output")
    } catch let error as CodecError {
        outcome.failure = error.kind
    } catch {
        fuzzCheck(false, "unexpected error type \(error)")
    }
    return outcome
}

/// Walks block members from the start as restore does: parse the header, take exactly the
/// declared bytes, inflate them to exactly the declared size. Every member libdeflate accepts
/// must decode to the same bytes through zlib's streaming decoder.
private func decodeBlockMembers(_ input: UnsafeRawBufferPointer) {
    guard let decompressor = try? GzipMemberDecompressor() else { fuzzCheck(false, "no decompressor"); return }
    var cursor = 0
    while cursor < input.count {
        let rest = UnsafeRawBufferPointer(rebasing: input[cursor...])
        guard let header = BlockMemberHeader.parse(rest) else { return }
        fuzzCheck(header.compressedLength >= BlockMemberHeader.size + GzipFormat.trailerSize, "member shorter than its header")
        fuzzCheck(header.uncompressedLength >= 0, "negative size")
        // The caps restore applies before it allocates anything for a member.
        guard header.compressedLength <= 2 * BlockMemberCompressor.maximumBlockSize,
              header.uncompressedLength <= BlockMemberCompressor.maximumBlockSize,
              header.compressedLength <= rest.count else { return }
        let member = UnsafeRawBufferPointer(rebasing: rest[..<header.compressedLength])
        guard let inflated = try? decompressor.decompressMember(member, uncompressedSize: header.uncompressedLength) else { return }
        fuzzCheck(inflated.count == header.uncompressedLength, "inflated size differs from the header's")
        let streamed = decodeStream(member, chunkSizes: [member.count], outputChunkSize: GzipStreamDecoder.maximumOutputChunkSize)
        fuzzCheck(streamed.failure == nil && streamed.output == inflated && streamed.members.count == 1,
                  "libdeflate accepted a member that zlib decodes differently: \(String(describing: streamed.failure))")
        cursor += header.compressedLength
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = decodeStream(input, chunkSizes: size == 0 ? [] : [size], outputChunkSize: GzipStreamDecoder.maximumOutputChunkSize)
    let chunkSizes = FuzzInput.chunkSizes(for: input)
    let chunked = decodeStream(input, chunkSizes: chunkSizes, outputChunkSize: 1 + Int(FuzzInput.fnv1a64(input) % 4096))
    // Whatever the chunking: the same verdict, the same member boundaries, and on success the
    // same bytes (after an error, how much output came out first may differ).
    fuzzCheck(whole.failure == chunked.failure && whole.members == chunked.members
        && (whole.failure != nil || whole.output == chunked.output), "chunked decoding differs: whole \(whole.failure.map { "\($0)" } ?? "ok") "
        + "\(whole.output.count) bytes, chunked \(chunked.failure.map { "\($0)" } ?? "ok") \(chunked.output.count) bytes")
    decodeBlockMembers(input)
    return 0
}

runFuzzer(fuzzGzip)
