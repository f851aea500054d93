import Foundation

/// Where an archive goes: a named file, a file named by the tool inside a directory, or stdout.
public enum BackupOutput: Sendable, Equatable {
    /// Exactly this file path.
    case file(String)
    /// `sindri-backup-{name}-{timestamp}.tar.gz` inside this existing directory.
    case directory(String)
    /// The archive on standard output.
    case standardOutput

    /// Interprets a `--output` argument: `-` is stdout, an existing directory or a path ending in
    /// `/` is a directory, anything else is the archive's path.
    public static func parse(_ argument: String) -> BackupOutput {
        if argument == "-" { return .standardOutput }
        if argument.hasSuffix("/") { return .directory(argument) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
            return .directory(argument)
        }
        return .file(argument)
    }
}
