import ArgumentParser
import SindriBackup

/// The options of S3 and HTTPS locations, shared by every command that reads or writes archives.
///
/// Credentials are never options (they would show in `ps` and shell history): they come from
/// the environment and the AWS files, as for the AWS tools.
struct RemoteOptions: ParsableArguments {
    @Option(name: .customLong("s3-endpoint"), help: ArgumentHelp(
        "S3-compatible server for s3:// locations (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS).", valueName: "url"))
    var s3Endpoint: String?

    @Flag(name: .customLong("s3-path-style"), help: "Address buckets as https://HOST/BUCKET/KEY (the default for custom endpoints; AWS uses BUCKET.HOST).")
    var s3PathStyle = false

    @Option(name: .customLong("cacert"), help: ArgumentHelp(
        "Also trust the certificates in this PEM file for https:// and S3 (default: $SSL_CERT_FILE).", valueName: "file"),
            completion: .file(extensions: ["pem", "crt"]))
    var caCertificateFile: String?

    var access: RemoteAccess {
        RemoteAccess(s3Endpoint: s3Endpoint, s3PathStyle: s3PathStyle, caCertificateFile: caCertificateFile)
    }

    var archiveAccess: ArchiveAccess {
        var access = ArchiveAccess()
        access.remote = self.access
        return access
    }
}
