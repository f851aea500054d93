import AsyncHTTPClient
import NIOCore

/// A request body too large to hold in memory (an upload part spooled to a file), read anew,
/// chunk by chunk, on every try of its request: a retry after a dropped connection sends the
/// same bytes again without the caller keeping them.
///
/// SigV4 signs the payload's SHA-256, which must be known before the first byte goes out: the
/// owner hashes the bytes as it spools them and hands the digest over with them.
public struct ReplayableBody: Sendable {
    /// The body's length in bytes (sent as `content-length`).
    public let length: Int
    /// The lowercase hex SHA-256 of the whole body.
    public let sha256Hex: String
    /// Reads `count` bytes at `offset` of the body (`0 ≤ offset < length`); must return exactly
    /// `count` bytes. Called from the request's task, at most one call at a time per try.
    public let read: @Sendable (_ offset: Int, _ count: Int) async throws -> [UInt8]
    /// The size of each read: what one request holds in memory at a time (besides NIO's
    /// socket buffers).
    public let chunkSize: Int

    public init(length: Int, sha256Hex: String, chunkSize: Int = 1 << 20,
                read: @escaping @Sendable (_ offset: Int, _ count: Int) async throws -> [UInt8]) {
        self.length = length
        self.sha256Hex = sha256Hex
        self.chunkSize = max(1, chunkSize)
        self.read = read
    }

    /// The body as async-http-client streams it: one `read` per chunk, pulled as the connection
    /// takes the bytes (so memory stays at about one chunk per request).
    var requestBody: HTTPClientRequest.Body {
        .stream(Chunks(body: self), length: .known(Int64(length)))
    }

    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let body: ReplayableBody

        func makeAsyncIterator() -> Iterator { Iterator(body: body) }

        struct Iterator: AsyncIteratorProtocol {
            let body: ReplayableBody
            var offset = 0

            mutating func next() async throws -> ByteBuffer? {
                guard offset < body.length else { return nil }
                let count = Swift.min(body.chunkSize, body.length - offset)
                let bytes = try await body.read(offset, count)
                guard bytes.count == count else {
                    throw RemoteError(.protocolError, "a spooled request body gave \(bytes.count) bytes at offset \(offset) instead of \(count)")
                }
                offset += count
                return ByteBuffer(bytes: bytes)
            }
        }
    }
}
