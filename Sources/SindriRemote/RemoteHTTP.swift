import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// The shared HTTP machinery of the S3 client and the HTTPS reader: one `HTTPClient` (its
/// connection pool serves the parallel parts and ranges), TLS trust, and the classification of
/// failures into "try again" and "tell the user".
enum RemoteHTTP {
    /// A client with redirects off (S3's 301 names the bucket's region; following it would sign
    /// for the wrong one), a connect timeout, a read timeout that catches stalled servers, and
    /// the extra trusted certificates of `--cacert`/`SSL_CERT_FILE`.
    ///
    /// Clients are shared per process by configuration and never shut down, like
    /// `HTTPClient.shared`: a command's sources and sinks come and go (a `deinit` cannot await a
    /// shutdown), while the pool's connections are worth keeping for the next request.
    static func makeClient(caCertificateFile: String?, readTimeoutSeconds: Int64, connections: Int = 16) throws -> HTTPClient {
        let key = "\(caCertificateFile ?? "")|\(readTimeoutSeconds)|\(connections)"
        return try clients.withLock { cache in
            if let client = cache[key] { return client }
            let client = try newClient(caCertificateFile: caCertificateFile, readTimeoutSeconds: readTimeoutSeconds, connections: connections)
            cache[key] = client
            return client
        }
    }

    private static let clients = Mutex<[String: HTTPClient]>([:])

    private static func newClient(caCertificateFile: String?, readTimeoutSeconds: Int64, connections: Int) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caCertificateFile {
            guard FileManager.default.isReadableFile(atPath: caCertificateFile) else {
                throw RemoteError(.invalidLocation, "certificate file \(caCertificateFile) cannot be read")
            }
            tls.additionalTrustRoots = [.file(caCertificateFile)]
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(readTimeoutSeconds)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Turns a thrown transport error into a retryable failure or a final one-line error.
    static func classify(_ error: Error, what: String, host: String) -> Error {
        if error is CancellationError || Task.isCancelled { return CancellationError() }
        if error is RemoteError || error is RetryableFailure { return error }
        if let tlsError = error as? NIOSSLError {
            return RemoteError(.transport, "\(what): TLS handshake with \(host) failed (\(tlsError)); to trust a private certificate authority use --cacert FILE or SSL_CERT_FILE")
        }
        let text = String(describing: error)
        if text.contains("handshakeFailed") || text.contains("CERTIFICATE_VERIFY_FAILED") {
            return RemoteError(.transport, "\(what): the certificate of \(host) is not trusted; use --cacert FILE or SSL_CERT_FILE to trust it")
        }
        return RetryableFailure(RemoteError(.transport, "\(what): cannot reach \(host): \(describe(error))"))
    }

    /// Short words for the network failures a user can act on.
    static func describe(_ error: Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .readTimeout: return "the server stopped answering (read timeout)"
            case .connectTimeout: return "connection timed out"
            case .remoteConnectionClosed: return "the server closed the connection"
            case .deadlineExceeded: return "the request took too long"
            default: return "\(client)"
            }
        }
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode))
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }

    /// Whether an HTTP status is worth another try.
    static func isRetryable(status: Int, code: String?) -> Bool {
        status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout" || code == "InternalError"
    }
}
