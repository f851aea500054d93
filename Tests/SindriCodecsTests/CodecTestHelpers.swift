import Foundation
import Testing

@testable import SindriCodecs

/// Decodes `file` with `GzipStreamDecoder`, feeding `chunkSize` bytes at a time.
func decodeGzipStream(
    _ file: [UInt8], chunkSize: Int, outputChunkSize: Int = GzipStreamDecoder.maximumOutputChunkSize,
    toleratesTrailingZeros: Bool = true
) throws -> (output: [UInt8], boundaries: [GzipMemberBoundary], largestPiece: Int) {
    var boundaries: [GzipMemberBoundary] = []
    let decoder = try GzipStreamDecoder(
        outputChunkSize: outputChunkSize, toleratesTrailingZeros: toleratesTrailingZeros
    ) { boundaries.append($0) }
    var output: [UInt8] = []
    var largestPiece = 0
    try file.withUnsafeBytes { bytes in
        var position = 0
        while position < bytes.count {
            let end = min(position + chunkSize, bytes.count)
            try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[position..<end])) { piece in
                largestPiece = max(largestPiece, piece.count)
                output.append(contentsOf: piece)
            }
            position = end
        }
    }
    try decoder.finish()
    return (output, boundaries, largestPiece)
}

/// The `CodecError` thrown by `body`, or nil (recording an issue) if it threw nothing or something else.
func codecError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CodecError? {
    do {
        try body()
        Issue.record("expected a CodecError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as CodecError {
        return error
    } catch {
        Issue.record("expected a CodecError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
