import Foundation

/// Where an archive goes: a named file, a file named by the tool inside a directory, or stdout.
public enum BackupOutput: Sendable, Equatable {
    /// Exactly this file path.
    case file(String)
    /// `sindri-backup-{name}-{timestamp}.tar.gz` inside this existing directory.
    case directory(String)
    /// The archive on standard output.
    case standardOutput
    /// An S3 object (`s3://BUCKET/KEY.tar.gz`) or an automatic name under a prefix
    /// (`s3://BUCKET/PREFIX/`), with the settings to reach it.
    case s3(String, RemoteAccess)

    /// Interprets a `--output` argument: `-` is stdout, an existing directory or a path ending in
    /// `/` is a directory, anything else is the archive's path.
    public static func parse(_ argument: String, remote: RemoteAccess = RemoteAccess()) -> BackupOutput {
        if argument == "-" { return .standardOutput }
        if argument.lowercased().hasPrefix("s3://") { return .s3(argument, remote) }
        if argument.hasSuffix("/") { return .directory(argument) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
            return .directory(argument)
        }
        return .file(argument)
    }
}
