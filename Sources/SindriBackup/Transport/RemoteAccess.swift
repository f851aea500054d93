import Foundation
#if ObjectStorage
import SindriRemote
#endif
import SindriSystem

/// The command-line settings of S3 and HTTPS locations, on top of the AWS environment
/// (`AWS_*` variables and files) read by `S3Configuration.resolve`.
public struct RemoteAccess: Sendable, Equatable {
    /// `--s3-endpoint URL`: an S3-compatible server instead of AWS.
    public var s3Endpoint: String?
    /// `--s3-path-style`: `https://HOST/BUCKET/KEY` even on AWS.
    public var s3PathStyle: Bool
    /// `--cacert FILE`: extra trusted certificates (PEM), for S3 and HTTPS alike.
    public var caCertificateFile: String?
    /// The environment to read `AWS_*` and `SSL_CERT_FILE` from; nil for the process's own.
    public var environment: [String: String]?

    public init(s3Endpoint: String? = nil, s3PathStyle: Bool = false, caCertificateFile: String? = nil, environment: [String: String]? = nil) {
        self.s3Endpoint = s3Endpoint
        self.s3PathStyle = s3PathStyle
        self.caCertificateFile = caCertificateFile
        self.environment = environment
    }

    var variables: [String: String] { environment ?? ProcessInfo.processInfo.environment }

    #if ObjectStorage
    /// An S3 client configured from these settings and the environment.
    ///
    /// - Throws: `SindriError` `.invalidArgument` for a bad endpoint or missing credentials.
    func s3Client() throws -> S3Client {
        do {
            let configuration = try S3Configuration.resolve(
                environment: AWSEnvironment(variables: variables), endpointOption: s3Endpoint,
                forcePathStyle: s3PathStyle, caCertificateFile: caCertificateFile)
            return try S3Client(configuration: configuration)
        } catch let error as RemoteError {
            throw SindriError(.invalidArgument, error.message)
        }
    }

    /// A reader of `url`, trusting `--cacert`/`SSL_CERT_FILE` besides the system's roots.
    func httpResource(_ url: String) throws -> HTTPResource {
        let variables = self.variables
        let certificate = caCertificateFile ?? variables["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        var retry = RetryPolicy()
        if let attempts = variables["SINDRI_REMOTE_ATTEMPTS"].flatMap({ Int($0) }), attempts > 0 { retry.maxAttempts = attempts }
        let timeout = variables["SINDRI_REMOTE_READ_TIMEOUT"].flatMap { Int64($0) } ?? 60
        do {
            return try HTTPResource(url: url, caCertificateFile: certificate, retry: retry, readTimeoutSeconds: timeout)
        } catch let error as RemoteError {
            throw SindriError(.invalidArgument, error.message)
        }
    }
    #endif
}
