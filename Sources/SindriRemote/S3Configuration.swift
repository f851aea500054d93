import Foundation

/// Everything an S3 client needs besides the bucket: where the server is, how to address it,
/// which region to sign for and with which credentials.
public struct S3Configuration: Sendable {
    /// The server: `https://s3.REGION.amazonaws.com` for AWS, or the custom endpoint.
    public let endpoint: URL
    /// Whether the endpoint is a custom one (not AWS).
    public let isCustomEndpoint: Bool
    /// `https://HOST/BUCKET/KEY` rather than `https://BUCKET.HOST/KEY`.
    public let pathStyle: Bool
    public let region: String
    public let credentials: AWSCredentials
    /// An extra PEM file of trusted certificates (`--cacert`, else `SSL_CERT_FILE`).
    public let caCertificateFile: String?
    public var retry: RetryPolicy
    /// Seconds without a byte from the server before a request counts as stalled (and is retried).
    public var readTimeoutSeconds: Int64

    public init(endpoint: URL, isCustomEndpoint: Bool, pathStyle: Bool, region: String, credentials: AWSCredentials,
                caCertificateFile: String? = nil, retry: RetryPolicy = RetryPolicy(), readTimeoutSeconds: Int64 = 60) {
        self.endpoint = endpoint
        self.isCustomEndpoint = isCustomEndpoint
        self.pathStyle = pathStyle
        self.region = region
        self.credentials = credentials
        self.caCertificateFile = caCertificateFile
        self.retry = retry
        self.readTimeoutSeconds = readTimeoutSeconds
    }

    /// The configuration the AWS tools would use, with the command-line options on top.
    ///
    /// - Parameters:
    ///   - endpointOption: `--s3-endpoint URL`, which wins over `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`.
    ///   - forcePathStyle: `--s3-path-style`; path style is also the default for custom endpoints.
    ///   - caCertificateFile: `--cacert FILE`, which wins over `SSL_CERT_FILE`.
    /// - Throws: `RemoteError` `.credentials` when none are found, `.invalidLocation` for a bad endpoint.
    public static func resolve(environment: AWSEnvironment = AWSEnvironment(), endpointOption: String? = nil,
                               forcePathStyle: Bool = false, caCertificateFile: String? = nil) throws -> S3Configuration {
        let region = environment.region
        let credentials = try environment.credentials()
        let custom = endpointOption.flatMap { $0.isEmpty ? nil : $0 } ?? environment.endpoint
        let endpoint: URL
        if let custom {
            guard let url = URL(string: custom), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty else {
                throw RemoteError(.invalidLocation, "S3 endpoint '\(custom)' is not an http:// or https:// URL")
            }
            endpoint = url
        } else {
            endpoint = URL(string: "https://s3.\(region).amazonaws.com")!
        }
        let variables = environment.variables
        let timeout = variables["SINDRI_REMOTE_READ_TIMEOUT"].flatMap { Int64($0) } ?? 60
        var retry = RetryPolicy()
        if let attempts = variables["SINDRI_REMOTE_ATTEMPTS"].flatMap({ Int($0) }), attempts > 0 { retry.maxAttempts = attempts }
        return S3Configuration(
            endpoint: endpoint, isCustomEndpoint: custom != nil, pathStyle: forcePathStyle || custom != nil,
            region: region, credentials: credentials,
            caCertificateFile: caCertificateFile ?? variables["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 },
            retry: retry, readTimeoutSeconds: timeout)
    }

    /// The endpoint without credentials or trailing slash, for messages.
    public var endpointDescription: String {
        var text = "\(endpoint.scheme ?? "https")://\(endpoint.host ?? "")"
        if let port = endpoint.port { text += ":\(port)" }
        return text
    }

    /// Scheme, host header and canonical path of a request for `bucket`/`key`.
    ///
    /// Virtual-hosted addressing puts the bucket in the host name; a bucket with a dot cannot be
    /// (its name would not match the TLS certificate), so it falls back to path style, as the AWS
    /// tools do.
    func address(bucket: String, key: String) -> (base: String, host: String, path: String) {
        let scheme = endpoint.scheme?.lowercased() ?? "https"
        var host = endpoint.host ?? ""
        if host.contains(":") { host = "[\(host)]" }
        let basePath = endpoint.path.hasSuffix("/") ? String(endpoint.path.dropLast()) : endpoint.path
        let encodedKey = SigV4Signer.uriEncode(key, keepSlash: true)
        let path: String
        if pathStyle || bucket.contains(".") {
            path = basePath + "/" + bucket + (key.isEmpty ? "" : "/" + encodedKey)
        } else {
            host = bucket + "." + host
            path = basePath + "/" + encodedKey
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let hostHeader = endpoint.port.map { $0 == defaultPort ? host : "\(host):\($0)" } ?? host
        return ("\(scheme)://\(hostHeader)", hostHeader, path.isEmpty ? "/" : path)
    }
}
