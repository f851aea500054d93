// Only with the ObjectStorage package trait (see Package.swift): the S3 and HTTPS locations.
#if ObjectStorage
import Crypto
import Foundation
import SindriRemote
import SindriSystem

/// Sequential reads of an archive on S3 or an HTTP(S) server, for the archive readers.
///
/// The first read fetches a small head (one ranged GET of `headSize`): `list`'s manifest and
/// `backups` need nothing more. Reads past it start a `RangedPrefetcher`: parallel ranged GETs
/// of `chunkSize` bytes, `window` of them in flight, taken in order, so the readers see one
/// sequential stream at the network's full speed and memory stays at `window * chunkSize`.
/// A server without `Range` support is read with one streaming GET instead. `skip` of more
/// than what is buffered restarts the ranged reads past the gap instead of downloading it.
///
/// Blocking, like every `ArchiveByteSource`: called from the engine's I/O thread (see
/// `RemoteBridge`). `@unchecked Sendable` only so that the fetch closures handed to the
/// prefetcher may capture it: they read `origin`, which is immutable; the buffers are touched by
/// the reading thread alone.
final class RemoteByteSource: ArchiveByteSource, @unchecked Sendable {
    /// How bytes are fetched.
    enum Origin: Sendable {
        case s3(S3Client, S3Location)
        case http(HTTPResource)
    }

    let origin: Origin
    /// The object's size; nil for an HTTP server that gave none.
    let fileSize: UInt64?
    var totalBytes: UInt64? { fileSize }
    /// A name for messages: `s3://bucket/key` or the URL without its query.
    let name: String
    let rangesSupported: Bool

    private let headSize: Int
    private let chunkSize: Int
    private let window: Int
    /// Bytes fetched but not read yet, from `bufferOffset`.
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    /// Absolute offset of the next byte `read` returns.
    private var position: UInt64 = 0
    private var prefetcher: RangedPrefetcher?
    private var stream: HTTPBodyStream?
    private var headFetched = false
    /// The SHA-256 the `.sha256` beside an HTTP(S) archive names, checked when the whole
    /// archive was read in order (a listing that skips ahead cannot check it).
    private var sidecarChecksum: String?
    private var wholeHasher = SHA256()
    private var skippedAhead = false

    init(origin: Origin, fileSize: UInt64?, rangesSupported: Bool, name: String,
         headSize: Int = 64 << 10, chunkSize: Int = 8 << 20, window: Int = 8) {
        self.origin = origin
        self.fileSize = fileSize
        self.rangesSupported = rangesSupported
        self.name = name
        self.headSize = headSize
        self.chunkSize = chunkSize
        self.window = window
    }

    /// Opens `argument` when it is an `s3://` or `http(s)://` location; nil for anything else.
    static func open(_ argument: String, access: RemoteAccess) throws -> RemoteByteSource? {
        if argument.lowercased().hasPrefix("s3://") {
            let location: S3Location
            do {
                location = try S3Location.parse(argument)
            } catch let error as RemoteError {
                throw SindriError(.invalidArgument, error.message)
            }
            guard !location.isPrefix else {
                throw SindriError(.invalidArgument, "\(argument) names a prefix, not an archive (see sindri backups \(argument))")
            }
            return try open(s3: try access.s3Client(), location)
        }
        if HTTPResource.isHTTP(argument) {
            return try open(http: try access.httpResource(argument), access: access)
        }
        return nil
    }

    /// Opens an S3 object (one HEAD for its size).
    ///
    /// - Throws: `SindriError` `.invalidArgument` when there is no such bucket or object.
    static func open(s3 client: S3Client, _ location: S3Location) throws -> RemoteByteSource {
        let info: S3ObjectInfo? = try wrap { try await client.headObject(location) }
        guard let info else { throw SindriError(.invalidArgument, "archive \(location) does not exist") }
        return RemoteByteSource(origin: .s3(client, location), fileSize: info.size, rangesSupported: true, name: location.description)
    }

    /// Opens an HTTP(S) resource (one HEAD for its size and Range support) and fetches the
    /// `.sha256` beside it when there is one.
    static func open(http resource: HTTPResource, access: RemoteAccess) throws -> RemoteByteSource {
        let probe = try wrap { try await resource.probe() }
        let source = RemoteByteSource(origin: .http(resource), fileSize: probe.size, rangesSupported: probe.acceptsRanges, name: resource.displayName)
        let sidecarURL = resource.url.split(separator: "?", maxSplits: 1).first.map(String.init).map { $0 + ".sha256" } ?? resource.url + ".sha256"
        let sidecar = try access.httpResource(sidecarURL)
        if let text = try? wrap({ try await sidecar.fetchSmall() }),
           let first = String(decoding: text, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).first,
           first.count == 64, first.allSatisfy(\.isHexDigit) {
            source.sidecarChecksum = first.lowercased()
        }
        return source
    }

    /// At the end of the input: the whole archive's SHA-256 must be the one its `.sha256` names.
    private func checkSidecar() throws {
        guard let expected = sidecarChecksum, !skippedAhead else { return }
        sidecarChecksum = nil
        let actual = FileDigest.hex(wholeHasher.finalize())
        guard actual == expected else {
            throw SindriError(.verificationFailed, "\(name): the archive's SHA-256 is \(actual), but its .sha256 says \(expected)")
        }
    }

    deinit {
        if let prefetcher { Task.detached { await prefetcher.cancel() } }
    }

    private static func wrap<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        do {
            // Reads change nothing: a stop request may cut them short.
            return try RemoteBridge.wait(stoppable: true, operation)
        } catch {
            throw RemoteBridge.engineError(error)
        }
    }

    private func fetch(_ range: Range<UInt64>) async throws -> [UInt8] {
        switch origin {
        case .s3(let client, let location): return try await client.getObject(location, range: range)
        case .http(let resource): return try await resource.get(range: range)
        }
    }

    /// Reads up to `out.count` bytes; returns how many (0 at the end of the object).
    func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        if out.isEmpty { return 0 }
        if bufferOffset == buffer.count {
            try refill()
            if bufferOffset == buffer.count {
                try checkSidecar()
                return 0
            }
            if sidecarChecksum != nil { buffer.withUnsafeBytes { wholeHasher.update(bufferPointer: $0) } }
        }
        let take = min(out.count, buffer.count - bufferOffset)
        buffer.withUnsafeBytes { raw in
            out.baseAddress!.copyMemory(from: raw.baseAddress! + bufferOffset, byteCount: take)
        }
        bufferOffset += take
        position += UInt64(take)
        if bufferOffset == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            bufferOffset = 0
        }
        return take
    }

    /// Moves `count` bytes forward; returns how many there were to move over.
    func skip(_ count: Int) throws -> Int {
        let buffered = buffer.count - bufferOffset
        if count <= buffered {
            bufferOffset += count
            position += UInt64(count)
            return count
        }
        if rangesSupported, let size = fileSize {
            // The bytes stepped over are never hashed: the sidecar cannot be checked.
            skippedAhead = true
            // Drop what is buffered and in flight; resume the ranged reads past the gap.
            let target = min(size, position + UInt64(count))
            let moved = Int(target - position)
            buffer.removeAll(keepingCapacity: true)
            bufferOffset = 0
            position = target
            if let prefetcher {
                self.prefetcher = nil
                Task.detached { await prefetcher.cancel() }
            }
            headFetched = true
            return moved
        }
        return try discard(count)
    }

    private func refill() throws {
        try Interruption.checkpoint()
        buffer.removeAll(keepingCapacity: true)
        bufferOffset = 0
        if rangesSupported, let size = fileSize {
            guard position < size else { return }
            if !headFetched {
                headFetched = true
                let range = position..<min(size, position + UInt64(headSize))
                buffer = try Self.wrap { [self] in try await self.fetch(range) }
                return
            }
            if prefetcher == nil {
                let start = position
                prefetcher = RangedPrefetcher(start: start, size: size, chunkSize: chunkSize, window: window) { [self] in
                    try await self.fetch($0)
                }
            }
            let prefetcher = self.prefetcher!
            buffer = try Self.wrap { try await prefetcher.next() } ?? []
            return
        }
        guard case .http(let resource) = origin else { return }
        if stream == nil {
            stream = try Self.wrap { try await resource.stream() }
        }
        let stream = self.stream!
        buffer = try Self.wrap { try await stream.next() } ?? []
    }
}
#endif
