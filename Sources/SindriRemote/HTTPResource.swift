import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A file served over `https://` (or `http://`): its size and whether the server honours
/// `Range`, ranged GETs for parallel reading, or one streaming GET when ranges are not offered.
public final class HTTPResource: Sendable {
    public let url: String
    let http: HTTPClient
    let retry: RetryPolicy
    /// The host, for messages (the URL could carry a token in its query; it is never printed whole).
    public let displayName: String

    /// What a first `HEAD` learnt.
    public struct Probe: Sendable, Equatable {
        /// The size, when the server gave one.
        public let size: UInt64?
        /// Whether the server said `Accept-Ranges: bytes`.
        public let acceptsRanges: Bool
    }

    public init(url: String, caCertificateFile: String? = nil, retry: RetryPolicy = RetryPolicy(), readTimeoutSeconds: Int64 = 60,
                connections: Int = 8) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = parsed.host, !host.isEmpty else {
            throw RemoteError(.invalidLocation, "\(url) is not an http:// or https:// URL")
        }
        self.url = url
        self.retry = retry
        var display = "\(scheme)://\(host)"
        if let port = parsed.port { display += ":\(port)" }
        display += parsed.path
        self.displayName = display
        self.http = try RemoteHTTP.makeClient(caCertificateFile: caCertificateFile, readTimeoutSeconds: readTimeoutSeconds, connections: connections)
    }

    /// Whether `argument` is an `http://` or `https://` location.
    public static func isHTTP(_ argument: String) -> Bool {
        let lower = argument.lowercased()
        return lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }


    /// `HEAD`: the size and whether ranges are served. A 404 is `.notFound`.
    public func probe() async throws -> Probe {
        let response = try await request("HEAD", headers: [], what: displayName)
        let size = response.headers.first(name: "content-length").flatMap { UInt64($0) }
        let ranges = response.headers.first(name: "accept-ranges")?.lowercased().contains("bytes") ?? false
        return Probe(size: size, acceptsRanges: ranges && size != nil)
    }

    /// The file at `url` when it exists (for the `.sha256` beside an archive), nil on 404.
    public func fetchSmall(limit: Int = 1 << 16) async throws -> [UInt8]? {
        do {
            let response = try await request("GET", headers: [], what: displayName)
            do {
                var buffer = try await response.body.collect(upTo: limit)
                return buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch is NIOTooManyBytesError {
                throw RemoteError(.protocolError, "\(displayName) is larger than \(limit) bytes")
            }
        } catch let error as RemoteError where error.kind == .notFound {
            return nil
        }
    }

    /// Bytes `range`, with one ranged GET (retried, and a short body retried too).
    public func get(range: Range<UInt64>) async throws -> [UInt8] {
        guard !range.isEmpty else { return [] }
        let what = "download of \(displayName) (bytes \(range.lowerBound)-\(range.upperBound - 1))"
        return try await retry.run {
            do {
                let response = try await self.requestOnce("GET", headers: [("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")], what: what)
                guard response.status == .partialContent else {
                    throw RemoteError(.protocolError, "\(what): the server ignored the Range header (answered \(response.status.code))")
                }
                var buffer = try await response.body.collect(upTo: Int(range.count) + 1)
                guard buffer.readableBytes == range.count else {
                    throw RetryableFailure(RemoteError(.transport, "\(what): the server sent \(buffer.readableBytes) bytes instead of \(range.count)"))
                }
                return buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch {
                throw RemoteHTTP.classify(error, what: what, host: self.displayName)
            }
        }
    }

    /// One GET of the whole file, read chunk by chunk as the consumer pulls (the response body
    /// applies back-pressure, so memory stays at one chunk). Not retried once bytes have flowed:
    /// without ranges there is no way to resume.
    public func stream() async throws -> HTTPBodyStream {
        let response = try await request("GET", headers: [], what: displayName)
        return HTTPBodyStream(body: response.body)
    }

    private func request(_ method: String, headers: [(String, String)], what: String) async throws -> HTTPClientResponse {
        try await retry.run {
            do {
                return try await self.requestOnce(method, headers: headers, what: what)
            } catch {
                throw RemoteHTTP.classify(error, what: what, host: self.displayName)
            }
        }
    }

    private func requestOnce(_ method: String, headers: [(String, String)], what: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await http.execute(request, timeout: .hours(24))
        let status = Int(response.status.code)
        if (200..<300).contains(status) { return response }
        // Drain a little of an error body so the connection can be reused.
        _ = try? await response.body.collect(upTo: 1 << 16)
        if status >= 500 || status == 429 {
            throw RetryableFailure(RemoteError(.transport, "\(what): the server answered \(status) on every try", status: status))
        }
        switch status {
        case 404, 410: throw RemoteError(.notFound, "no such file: \(displayName) (\(status))", status: status)
        case 401, 403: throw RemoteError(.credentials, "\(what): access denied (\(status))", status: status)
        case 301, 302, 303, 307, 308:
            let target = response.headers.first(name: "location") ?? "elsewhere"
            throw RemoteError(.invalidLocation, "\(displayName) has moved (\(status)) to \(target): use that URL", status: status)
        default: throw RemoteError(.protocolError, "\(what): the server answered \(status)", status: status)
        }
    }
}

/// The body of a streaming GET, pulled one chunk at a time by one consumer.
///
/// `@unchecked Sendable`: it is handed to the task that reads it, and used by one consumer at a
/// time (the source's reading thread waits for each `next()` before asking again), which is all
/// the iterator requires.
public final class HTTPBodyStream: @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(body: HTTPClientResponse.Body) {
        iterator = body.makeAsyncIterator()
    }

    /// The next bytes, or nil at the end.
    public func next() async throws -> [UInt8]? {
        do {
            guard var buffer = try await iterator.next() else { return nil }
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            if error is CancellationError { throw error }
            throw RemoteError(.transport, "download stopped: \(RemoteHTTP.describe(error))")
        }
    }
}
